"""Chaos and load on the toy study, with nothing lost: kill storms, a PostgreSQL restart,
32 workers on one study, and what an idle worker holds.

Loopback only, every wait bounded. The long and timing-sensitive ones are ``chaos``
(``make test-chaos``). Each prints one line for the reliability table (``pytest -s``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._budget import slot_trials
from tests.study.chaos import (
    ConnectionSampler,
    KillStorm,
    assert_journal_readable,
    assert_whole,
    claims_per_second,
    in_trial,
    scan_for,
)
from tests.study.postgres_server import PostgresServer
from tests.study.toy_helpers import Toy, wait_for

# Trials of about a second, a lost worker noticed within 3 s, retried as often as killed.
STORM = ("hydra.sweeper.pruner=null", "num_steps=4", "seconds_per_step=0.25",
         "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=3",
         "hydra.sweeper.max_retry=50")
BAD_WORDS = ("database is locked", "too many clients", "Traceback")


def _rdb_trials(url: str, study: str = "toy") -> list[FrozenTrial]:
    storage = optuna.storages.RDBStorage(url)
    try:
        try:
            return optuna.load_study(study_name=study, storage=storage).get_trials()
        except KeyError:
            return []
    finally:
        storage.engine.dispose()


def _complete_slots(trials: list[FrozenTrial]) -> int:
    return sum(t.state == TrialState.COMPLETE for t in slot_trials(trials))


def _storm(toy: Toy, args: tuple[str, ...], trials: object, n_trials: int) -> KillStorm:
    storm = KillStorm(lambda name: toy.start(*args, name=name), min_age=0.0,
                      in_trial=lambda name: in_trial(toy.output(name)[0]))
    # Bounds, not schedules: the storm waits for workers that are inside a trial (however
    # slowly they start under load), and the study then gets its own time to finish.
    storm.run(lambda: _complete_slots(trials()) >= n_trials,  # type: ignore[operator]
              deadline=600, exit_timeout=300)
    survivors = [p for p in storm.procs if p.returncode != -9]
    for proc in survivors:
        assert proc.returncode == 0, proc.args
    return storm


@pytest.mark.slow
@pytest.mark.chaos
def test_a_kill_storm_on_the_journal_file_loses_nothing(toy: Toy) -> None:
    n_trials = 24
    args = (*STORM, f"hydra.sweeper.n_trials={n_trials}")
    started = time.monotonic()
    storm = _storm(toy, args, toy.trials, n_trials)
    rerun = toy.run(*args)  # a re-run of a finished study changes nothing
    assert rerun.returncode == 0, rerun.stderr
    trials = toy.trials()
    whole = assert_whole(trials, n_trials)
    lines = assert_journal_readable(toy.journal)
    assert storm.killed == 10, f"{storm.killed} SIGKILLs landed mid-trial, not 10"
    assert not scan_for([toy.cwd], BAD_WORDS[:2])
    print(f"\nkill storm, journal file: {storm.killed} SIGKILLs of 3 workers, {whole.slots}/"
          f"{n_trials} slots COMPLETE, {whole.lost} lost trials retried, 0 lost for good, "
          f"journal {lines} lines readable, {time.monotonic() - started:.0f} s")


@pytest.mark.slow
@pytest.mark.chaos
def test_a_kill_storm_on_postgres_loses_nothing(
    postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    n_trials = 24
    toy.env.update(postgres.client_env())
    args = (*STORM, f"hydra.sweeper.n_trials={n_trials}",
            f"hydra.sweeper.storage={postgres.env_form(pg_url)}")
    started = time.monotonic()
    storm = _storm(toy, args, lambda: _rdb_trials(pg_url), n_trials)
    rerun = toy.run(*args)
    assert rerun.returncode == 0, rerun.stderr
    whole = assert_whole(_rdb_trials(pg_url), n_trials)
    assert storm.killed == 10, f"{storm.killed} SIGKILLs landed mid-trial, not 10"
    assert not scan_for([toy.cwd], BAD_WORDS[:2])
    print(f"\nkill storm, PostgreSQL: {storm.killed} SIGKILLs of 3 workers, {whole.slots}/"
          f"{n_trials} slots COMPLETE, {whole.lost} lost trials retried, {whole.discarded} "
          f"surplus discarded, 0 lost for good, {time.monotonic() - started:.0f} s")


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is shut down and started again mid-sweep."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.chaos
def test_workers_ride_out_a_postgres_restart_or_stop_with_one_line(
    own_postgres: PostgresServer, toy: Toy
) -> None:
    server = own_postgres
    url = server.create_database("restart")
    toy.env.update(server.client_env())
    # The grace period is far above any outage this part can cause (the server down until
    # a worker noticed, plus its start and the workers' retry backoff of up to 5 s, on a
    # loaded machine too): a live trial is never taken for lost, so none may be.
    args = ("hydra.sweeper.pruner=null", "num_steps=4", "seconds_per_step=0.5",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=60",
            f"hydra.sweeper.storage={server.env_form(url)}")
    procs = [toy.start(*args, "hydra.sweeper.n_trials=12", name=f"w{i}") for i in range(3)]

    def logs(prefix: str, count: int) -> str:
        return "".join(out for i in range(count) for out in toy.output(f"{prefix}{i}"))

    wait_for(lambda: _complete_slots(_rdb_trials(url)) >= 3, "3 trials done", deadline=180)
    assert all(proc.poll() is None for proc in procs), "the sweep ended before the restart"
    server.shut_down()
    down = time.monotonic()
    # Down until a worker has met the outage (at least 3 s): an event, not a fixed nap that
    # a loaded machine could sleep through before any worker touched the storage.
    wait_for(lambda: "storage unreachable" in logs("w", 3) and time.monotonic() - down >= 3,
             "a worker to meet the outage", deadline=120)
    server.start_again()
    outage = time.monotonic() - down
    for i, proc in enumerate(procs):
        assert proc.wait(timeout=300) == 0, toy.output(f"w{i}")[1]
    whole = assert_whole(_rdb_trials(url), 12)
    assert whole.lost == 0
    assert "storage unreachable" in logs("w", 3) and "storage reachable again" in logs("w", 3)

    # Down for longer than storage_outage_seconds: each worker stops with one line.
    before = {t.number: (t.params, t.value) for t in _rdb_trials(url)}
    more = (*args, "hydra.sweeper.n_trials=24", "hydra.sweeper.storage_outage_seconds=3",
            "hydra.sweeper.grace_period=5")
    procs = [toy.start(*more, name=f"v{i}") for i in range(2)]
    # Both workers inside a trial (12 trials of 2 s left: one alone needs 24 s, far more
    # than the other's start-up takes under load), so both meet the outage mid-sweep.
    wait_for(lambda: all(in_trial(toy.output(f"v{i}")[0]) for i in range(2)),
             "both workers of the second run inside a trial", deadline=180)
    assert all(proc.poll() is None for proc in procs), "a worker ended before the outage"
    server.shut_down()
    for i, proc in enumerate(procs):
        assert proc.wait(timeout=120) == 1
        stderr = toy.output(f"v{i}")[1]
        errors = [x for x in stderr.splitlines() if x.startswith("error: ")]
        assert len(errors) == 1 and "unreachable for over 3 s" in errors[0], stderr
        assert "re-run the same command" in errors[0] and server.password not in errors[0]
    server.start_again()
    after = {t.number: (t.params, t.value) for t in _rdb_trials(url)}
    assert {n: after[n] for n in before} == before  # nothing finished was lost
    rerun = toy.run(*more, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    whole = assert_whole(_rdb_trials(url), 24)
    print(f"\nPostgreSQL restart: 1 restart ({outage:.0f} s down) ridden out by 3 workers, "
          f"0 lost; a longer outage stopped 2 workers with one line each, the re-run resumed "
          f"({whole.lost} interrupted trial(s) retried), 0 lost for good")


@pytest.mark.slow
@pytest.mark.chaos
def test_32_workers_share_one_postgres_study(
    postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    n_trials = 96
    toy.env.update(postgres.client_env())
    args = ("hydra.sweeper.pruner=null", "num_steps=2", "seconds_per_step=0.05",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=60",
            f"hydra.sweeper.n_trials={n_trials}",
            f"hydra.sweeper.storage={postgres.env_form(pg_url)}")
    database = pg_url.rsplit("/", 1)[1]
    with ConnectionSampler(postgres, database) as sampler:
        procs = [toy.start(*args, name=f"w{i}") for i in range(32)]
        for i, proc in enumerate(procs):
            assert proc.wait(timeout=600) == 0, toy.output(f"w{i}")[1]
    trials = _rdb_trials(pg_url)
    whole = assert_whole(trials, n_trials)
    peak, mean = sampler.per_worker()
    assert sampler.samples
    assert peak <= 3  # the sweep loop, its heartbeat thread and the job's reporter at once
    assert mean <= 1.0
    assert sampler.total_max() <= 32 * 3
    assert not scan_for([toy.cwd], BAD_WORDS)
    print(f"\n32 workers on PostgreSQL: {n_trials} trials, {claims_per_second(trials):.1f} "
          f"claims/s, connections per worker max {peak} mean {mean:.2f}, at most "
          f"{sampler.total_max()} at once, {whole.discarded} surplus discarded, 0 lost")


def test_an_idle_worker_holds_at_most_one_connection(
    postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    toy.env.update(postgres.client_env())
    args = ("hydra.sweeper.pruner=null", "hydra.sweeper.n_trials=1",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=60",
            f"hydra.sweeper.storage={postgres.env_form(pg_url)}")
    database = pg_url.rsplit("/", 1)[1]
    busy = toy.start(*args, "num_steps=120", "seconds_per_step=0.25", name="busy")
    wait_for(lambda: any(t.state == TrialState.RUNNING and t.intermediate_values
                         for t in _rdb_trials(pg_url)), "the busy worker to report", deadline=60)
    # No free slot, a trial running elsewhere: these wait (and poll) until it ends.
    idle = [toy.start(*args, name=f"idle{i}") for i in range(4)]
    wait_for(lambda: all("waiting for 1 trial" in toy.output(f"idle{i}")[0] for i in range(4)),
             "the idle workers to wait", deadline=60)
    with ConnectionSampler(postgres, database, interval=0.05) as sampler:
        # A count, not a time: on a loaded machine each sample's query takes longer.
        wait_for(lambda: len(sampler.samples) >= 25, "25 connection samples", deadline=25)
    assert busy.poll() is None, "the busy trial ended before the sampling did"
    idle_peak, idle_mean = sampler.per_worker([p.pid for p in idle])
    busy_peak, busy_mean = sampler.per_worker([busy.pid])
    assert idle_peak <= 1
    assert busy_peak <= 2  # its heartbeat thread and its job's report, at the same instant
    # Connections live for one call: most samples find none (a pool would keep them open).
    assert idle_mean < 0.5 and busy_mean < 1.0, (idle_mean, busy_mean)
    print(f"\nidle worker: at most {idle_peak} connection ({idle_mean:.2f} on average); "
          f"busy worker: at most {busy_peak} ({busy_mean:.2f})")
    for proc in (busy, *idle):
        assert proc.wait(timeout=60) == 0
    assert [t.state for t in _rdb_trials(pg_url)] == [TrialState.COMPLETE]

