"""A storage password never reaches disk, logs, user attributes or the summary.

The sweeper refuses a literal password (see ``_secrets``); the ``${oc.env:PGPASSWORD}``
form is run for real against the session's PostgreSQL server, and everything the study
wrote is searched for the password.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._storages._location import StorageError, resolve_storage
from hydra_plugins.tfod_optuna_sweeper._storages._secrets import env_form, has_literal_password
from tests.study.postgres_server import PostgresServer
from tests.study.toy_helpers import Toy


@pytest.mark.parametrize(
    ("raw", "literal"),
    [
        ("postgresql://u:pw@h:5432/db", True),
        ("postgresql://u:${oc.env:PGPASSWORD}@h:5432/db", False),
        ("postgresql://u:pw${oc.env:X}@h/db", True),
        ("postgresql://u:${oc.env:A}${oc.env:B}@h/db", False),
        ("postgresql://u@h/db", False),
        ("postgresql://h/db", False),
        ("${oc.env:STUDY_URL}", False),
        ("redis://:pw@cache:6379/0", True),
        ("postgresql://u:p@ss@h/db", True),
        ("outputs/studies/journal.log", False),
        ("sqlite:///a:b@c.db", False),
    ],
)
def test_literal_passwords_are_told_from_interpolated_ones(raw: str, literal: bool) -> None:
    assert has_literal_password(raw) is literal


def test_the_refusal_shows_the_env_form_and_keeps_the_rest_of_the_url() -> None:
    shown = env_form("postgresql+psycopg2://tfod:p@ss@10.0.0.5:5433/studies?sslmode=require")
    assert shown == (
        "postgresql+psycopg2://tfod:${oc.env:PGPASSWORD}@10.0.0.5:5433/studies?sslmode=require"
    )


@pytest.mark.parametrize("spec", ["postgresql://u:hunter2@h:notaport/db", "ftp://u:hunter2@h/x"])
def test_storage_errors_mask_the_password(spec: str) -> None:
    with pytest.raises(StorageError) as caught:
        resolve_storage(spec, Path("/base"))
    assert "hunter2" not in str(caught.value)
    assert "u:***@h" in str(caught.value)


def test_a_literal_password_is_refused_before_anything_is_written(toy: Toy) -> None:
    result = toy.run("hydra.sweeper.storage=postgresql://tfod:hunter2@127.0.0.1:9/studies")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: hydra.sweeper.storage holds a literal password, which Hydra would save in "
        "multirun.yaml and every trial's .hydra/: write hydra.sweeper.storage="
        "'postgresql://tfod:${oc.env:PGPASSWORD}@127.0.0.1:9/studies' and export PGPASSWORD"
    ]
    assert "hunter2" not in result.stdout
    assert _files_holding(toy.cwd, "hunter2") == []


def _files_holding(root: Path, secret: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``secret``."""
    needle = secret.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _attrs_text(trial: optuna.trial.FrozenTrial) -> str:
    return repr((trial.user_attrs, trial.system_attrs, trial.params))


def test_a_real_postgres_study_writes_its_password_nowhere(
    postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    toy.env.update(postgres.client_env())
    result = toy.run(
        f"hydra.sweeper.storage={postgres.env_form(pg_url)}",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.n_jobs=2",  # an extra worker re-runs the command line
        "hydra.sweeper.pruner=null",
        "evidence=true",  # artifacts, notes and run attributes too
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    secret = postgres.password
    assert secret not in result.stdout + result.stderr
    assert "study 'toy': 3/3 trials" in result.stdout
    summary_storage = next(x for x in result.stdout.splitlines() if x.startswith("storage: "))
    assert f"{postgres.user}:***@127.0.0.1:{postgres.port}/" in summary_storage
    view = next(x for x in result.stdout.splitlines() if x.startswith("view it with: "))
    assert view.endswith("--host 127.0.0.1")

    study_dir = toy.cwd / "outputs" / "studies" / "toy"
    saved = [study_dir / "multirun.yaml", *study_dir.glob("trial_*/.hydra/*.yaml"),
             *study_dir.glob("trial_*/*.log")]
    assert len(list(study_dir.glob("trial_*/.hydra/hydra.yaml"))) == 3
    assert any(p.suffix == ".log" for p in saved)
    assert "${oc.env:PGPASSWORD}" in (study_dir / "multirun.yaml").read_text()
    assert _files_holding(toy.cwd, secret) == []  # outputs tree, logs, artifacts

    storage = optuna.storages.RDBStorage(pg_url)
    try:
        study = optuna.load_study(study_name="toy", storage=storage)
        trials = study.get_trials()
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
        assert all(secret not in _attrs_text(t) for t in trials)
        assert secret not in repr(storage.get_study_system_attrs(study._study_id))
        assert secret not in repr(study.user_attrs)
    finally:
        storage.engine.dispose()
