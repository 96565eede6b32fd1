"""The README's bare ``postgresql://`` URL opens in Optuna's own tools, not only in ours.

SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, the driver the ``postgres``
extra installs. These tests start the real ``optuna-dashboard`` and ``optuna`` commands
on a study in the throwaway PostgreSQL server, given the URL exactly as a user types it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import optuna

from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage, resolve_storage
from tests.study.postgres_server import free_port

BIN = Path(sys.executable).parent
STUDY = "bare_url"


def _make_study(url: str, base_dir: Path) -> None:
    """Two finished trials, written through the sweeper's own storage opener."""
    storage = open_storage(resolve_storage(url, base_dir))
    study = optuna.create_study(study_name=STUDY, storage=storage, direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    storage.engine.dispose()  # type: ignore[attr-defined]


def _studies_served(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> dict:
    """The dashboard's own ``/api/studies`` answer, once its server is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"optuna-dashboard exited {proc.returncode}: "
                                 f"{proc.communicate()[1][-2000:]}")  # fmt: skip
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as r:
                return json.loads(r.read())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError(f"optuna-dashboard did not answer on port {port} in {timeout:.0f} s")


def test_sweeper_names_psycopg3_for_a_bare_url(tmp_path: Path) -> None:
    location = resolve_storage("postgresql://u:pw@db:5432/optuna", tmp_path)
    assert location.target == "postgresql+psycopg://u:pw@db:5432/optuna"
    from sqlalchemy.engine import make_url

    assert make_url("postgresql://u@db/optuna").get_dialect().driver == "psycopg"


def test_optuna_dashboard_opens_the_bare_url(pg_url: str, tmp_path: Path) -> None:
    assert pg_url.startswith("postgresql://")
    _make_study(pg_url, tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "optuna-dashboard"), pg_url, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        served = _studies_served(port, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    (study,) = served["study_summaries"]
    assert study["study_name"] == STUDY
    assert study["directions"] == ["maximize"]


def test_optuna_cli_opens_the_bare_url(pg_url: str, tmp_path: Path) -> None:
    _make_study(pg_url, tmp_path)
    done = subprocess.run(
        [str(BIN / "optuna"), "trials", "--storage", pg_url, "--study-name", STUDY,
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    trials = json.loads(done.stdout)
    assert [t["state"] for t in trials] == ["COMPLETE", "COMPLETE"]
