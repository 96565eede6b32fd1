"""The same study on a real PostgreSQL server, shared by separate worker processes.

A throwaway server is started for the session (see ``postgres_server``); each test gets
its own empty database. Workers are real ``toy.py -m`` processes given the storage as
``hydra.sweeper.storage=postgresql://…``, exactly as a user on another machine would.
If PostgreSQL cannot be started these tests fail, they are never skipped.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
import pytest
import sqlalchemy
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState

from tests.study.postgres_server import PostgresServer, free_port
from tests.study.toy_helpers import Toy, wait_for

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
SECRET = "s3cret-pw"


@pytest.fixture
def pg_arg(postgres: PostgresServer, pg_url: str, toy: Toy) -> str:
    """``hydra.sweeper.storage=`` of ``pg_url`` with ``${oc.env:PGPASSWORD}``; ``toy`` has it."""
    toy.env.update(postgres.client_env())
    return f"hydra.sweeper.storage={postgres.env_form(pg_url)}"


@pytest.fixture
def machines(tmp_path: Path, postgres: PostgresServer) -> Iterator[tuple[Toy, Toy]]:
    """Two toy sweeps in separate working dirs, standing in for two machines."""
    pair = tuple(Toy(tmp_path / name, env=postgres.client_env())
                 for name in ("machine_a", "machine_b"))
    for toy in pair:
        toy.cwd.mkdir()
    yield pair
    for proc in (p for toy in pair for p in toy.procs):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@contextmanager
def study_reader(url: str, study: str = "toy") -> Iterator[Callable[[], list[FrozenTrial]]]:
    """A function returning the study's trials as the database holds them now."""
    storage = optuna.storages.RDBStorage(url)

    def trials() -> list[FrozenTrial]:
        try:
            return optuna.load_study(study_name=study, storage=storage).get_trials()
        except KeyError:
            return []

    try:
        yield trials
    finally:
        storage.engine.dispose()


def _counted(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    """Finished trials that count against n_trials (discarded surplus ones do not)."""
    return [t for t in trials if t.state in FINISHED and not t.user_attrs.get("discarded")]


def _assert_clean(out: str, err: str, password: str) -> None:
    """No error, warning or traceback, and the password never printed."""
    assert err.strip() == "", err
    for word in ("Traceback", "error", "WARNING"):
        assert word not in out, out
    assert password not in out + err


def _run_dir(toy: Toy, number: int) -> Path:
    """Where the job of trial ``number`` runs when ``toy``'s worker claims it."""
    return toy.cwd / "outputs" / "studies" / "toy" / f"trial_{number}"


@pytest.mark.slow
def test_two_machines_share_one_study_on_postgres(
    postgres: PostgresServer, pg_url: str, machines: tuple[Toy, Toy]
) -> None:
    args = (
        f"hydra.sweeper.storage={postgres.env_form(pg_url)}",
        "hydra.sweeper.n_trials=6",
        "hydra.sweeper.pruner=null",
        "hydra.sweeper.grace_period=300",  # a worker paused below is not "lost"
        "seconds_per_step=0.4",
    )
    # Both start at the same instant on an empty database, as a cluster job array would.
    procs = [toy.start(*args) for toy in machines]

    def started() -> bool:
        return any(toy.cwd.glob("outputs/studies/toy/trial_*") for toy in machines)

    wait_for(started, "a worker to start a trial")  # by then the schema exists
    with study_reader(pg_url) as trials:

        def freeze_a_busy_worker() -> tuple[int, int] | None:
            """SIGSTOP a worker inside a trial's job; (worker index, trial number)."""
            running = [t.number for t in trials() if t.state == TrialState.RUNNING]
            for i, number in itertools.product(range(2), running):
                if _run_dir(machines[i], number).is_dir():
                    os.kill(procs[i].pid, signal.SIGSTOP)
                    if trials()[number].state == TrialState.RUNNING:
                        return i, number  # in the job: it holds no lock the other needs
                    os.kill(procs[i].pid, signal.SIGCONT)
            return None

        # Freezing the worker that runs a trial forces the other one to take the next
        # trials: this makes "both workers ran trials" deterministic.
        busy, number = wait_for(freeze_a_busy_worker, "a worker to be inside a trial")
        other = procs[1 - busy]

        def other_completed_one() -> bool:
            if other.poll() is not None:
                raise AssertionError(
                    f"worker exited {other.returncode}: {machines[1 - busy].output()[1]}"
                )
            return any(t.user_attrs.get("pid") == other.pid for t in _counted(trials()))

        try:
            wait_for(other_completed_one, "the other worker to complete a trial")
            assert trials()[number].state == TrialState.RUNNING  # still paused mid-trial
        finally:
            os.kill(procs[busy].pid, signal.SIGCONT)

        for toy, proc in zip(machines, procs, strict=True):
            assert proc.wait(timeout=120) == 0, toy.output()[1]
        final = trials()

    assert sorted(t.number for t in final) == list(range(len(final)))  # no duplicates
    counted = _counted(final)
    assert len(counted) == 6
    assert all(t.state == TrialState.COMPLETE for t in counted)
    assert len({t.params["x"] for t in counted}) == 6  # no two trials replay one draw
    assert {t.user_attrs["pid"] for t in counted} == {proc.pid for proc in procs}
    assert not [t for t in final if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for trial in final:
        if trial not in counted:  # surplus of the create-then-check race: never run
            assert trial.state == TrialState.FAIL and "pid" not in trial.user_attrs
    for toy in machines:
        out, err = toy.output()
        _assert_clean(out, err, postgres.password)
        assert "study 'toy': 6/6 trials" in out
    # Each trial's job ran once, on the machine that claimed it.
    for trial in counted:
        owner = machines[[p.pid for p in procs].index(trial.user_attrs["pid"])]
        assert _run_dir(owner, trial.number).is_dir()
        assert not _run_dir(machines[1 - machines.index(owner)], trial.number).exists()


def test_workers_racing_to_create_the_schema_both_start(
    postgres: PostgresServer, pg_url: str, pg_arg: str, toy: Toy
) -> None:
    # Another worker is creating Optuna's tables right now: its transaction is open.
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.connect() as other_worker:
            transaction = other_worker.begin()
            models.BaseModel.metadata.create_all(other_worker)
            proc = toy.start(pg_arg, "hydra.sweeper.n_trials=1")

            def blocked_on_our_tables() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited {proc.returncode}: {toy.output()[1]}")
                query = (
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                with engine.connect() as probe:
                    return bool(probe.execute(sqlalchemy.text(query)).scalar())

            wait_for(blocked_on_our_tables, "the worker to wait for our CREATE TABLE")
            transaction.commit()  # the worker's CREATE TABLE now fails: tables exist
        assert proc.wait(timeout=60) == 0, toy.output()[1]
    finally:
        engine.dispose()
    out, err = toy.output()
    _assert_clean(out, err, postgres.password)
    with study_reader(pg_url) as trials:
        assert [t.state for t in trials()] == [TrialState.COMPLETE]


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: cannot open storage …`` line of a failed run; no secret shown."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot open storage postgresql"), lines[0]
    assert SECRET not in result.stdout + result.stderr
    return lines[0]


def test_unreachable_postgres_is_one_error_line_and_quick(toy: Toy) -> None:
    port = free_port()  # nothing listens there
    started = time.monotonic()
    toy.env["PGPASSWORD"] = SECRET
    result = toy.run(f"hydra.sweeper.storage=postgresql://tfod:${{oc.env:PGPASSWORD}}@127.0.0.1:{port}/db")
    elapsed = time.monotonic() - started
    line = _one_error_line(result)
    assert f"tfod:***@127.0.0.1:{port}/db" in line
    assert "Connection refused" in line
    assert elapsed < 20, f"took {elapsed:.1f}s"
    assert not toy.journal.exists()  # no silent fallback to the default storage


def test_wrong_postgres_password_is_one_error_line(postgres: PostgresServer, toy: Toy) -> None:
    toy.env["PGPASSWORD"] = SECRET
    url = f"postgresql://{postgres.user}:${{oc.env:PGPASSWORD}}@127.0.0.1:{postgres.port}/postgres"
    line = _one_error_line(toy.run(f"hydra.sweeper.storage={url}"))
    assert f"{postgres.user}:***@127.0.0.1:{postgres.port}/postgres" in line
    assert "password authentication failed" in line


def _snapshot(trials: list[FrozenTrial]) -> dict[int, tuple[object, ...]]:
    """Everything a finished trial records, by trial number."""
    return {
        t.number: (
            t.state,
            t.params,
            t.value,
            t.intermediate_values,
            t.user_attrs,
            t.datetime_start,
            t.datetime_complete,
        )
        for t in trials
    }


def test_a_postgres_study_resumes_with_a_larger_n_trials(
    postgres: PostgresServer, pg_url: str, pg_arg: str, toy: Toy
) -> None:
    common = (pg_arg, "hydra.sweeper.pruner=null")
    first = toy.run(*common, "hydra.sweeper.n_trials=2")
    assert first.returncode == 0, first.stderr
    with study_reader(pg_url) as trials:
        before = _snapshot(trials())
    assert sorted(before) == [0, 1]
    assert all(state == TrialState.COMPLETE for state, *_ in before.values())

    second = toy.run(*common, "hydra.sweeper.n_trials=4")
    assert second.returncode == 0, second.stderr
    with study_reader(pg_url) as trials:
        final = trials()
    after = _snapshot(final)
    assert sorted(after) == [0, 1, 2, 3]
    assert {n: after[n] for n in before} == before  # the first two are untouched
    assert all(t.state == TrialState.COMPLETE for t in final)
    assert len({t.params["x"] for t in final}) == 4
    for result in (first, second):
        _assert_clean(result.stdout, result.stderr, postgres.password)
    assert "study 'toy': 4/4 trials" in second.stdout
    # Only the two missing trials ran in the second run, each in a run dir of its own.
    ran = [n for n in range(4) if f"trial {n}: COMPLETE" in second.stdout]
    assert ran == [2, 3]
    assert sorted(p.name for p in (toy.cwd / "outputs/studies/toy").glob("trial_*")) == [
        f"trial_{n}" for n in range(4)
    ]


def test_artifacts_notes_and_objective_name_on_postgres(
    postgres: PostgresServer, pg_url: str, pg_arg: str, toy: Toy
) -> None:
    from optuna.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta
    from optuna_dashboard import get_note

    result = toy.run(pg_arg, "evidence=true",
                     "hydra.sweeper.n_trials=2", "hydra.sweeper.pruner=null")
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout, result.stderr, postgres.password)
    # A server database has no folder of its own: the default is the working dir's.
    artifact_dir = toy.cwd / "outputs" / "studies" / "artifacts"
    assert f"--artifact-dir {artifact_dir} --host 127.0.0.1" in result.stdout
    storage = optuna.storages.RDBStorage(pg_url)
    try:
        study = optuna.load_study(study_name="toy", storage=storage)
        assert study.metric_names == ["mAP@.50"]
        store = FileSystemArtifactStore(artifact_dir)
        for trial in study.trials:
            assert trial.state == TrialState.COMPLETE
            metas = get_all_artifact_meta(trial, storage=storage)
            assert sorted(m.filename for m in metas) == [
                "per_class_ap50.png", "pipeline.config", "preview.png"]
            config = next(m for m in metas if m.filename == "pipeline.config")
            copy = toy.cwd / f"copy_{trial.number}.config"
            download_artifact(artifact_store=store, artifact_id=config.artifact_id,
                              file_path=str(copy))
            run_dir = _run_dir(toy, trial.number)
            assert copy.read_bytes() == (run_dir / "pipeline.config").read_bytes()
            note = get_note(optuna.Trial(study, trial._trial_id))
            assert f"Trial {trial.number}: COMPLETE, mAP@.50 = {trial.value:.4f}" in note
            assert f"| trial_{trial.number} | " in note
    finally:
        storage.engine.dispose()
