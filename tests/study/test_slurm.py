"""Trials as SLURM jobs, on a real single-node cluster started for the session.

Two patterns, both on one PostgreSQL study:

* ``hydra/launcher=submitit_slurm``: the sweeper's workers (``n_jobs`` of them, on the
  login node) each submit one trial at a time as a SLURM job; the job reports to the
  study itself. A cancelled job is FAIL with SLURM's reason and its slot runs again.
* ``sbatch --array=1-K`` of plain workers (the basic launcher): each array task is a
  worker that claims trials until the study is full.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, FAIL_REASON
from tests.study.chaos import assert_whole
from tests.study.postgres_server import PostgresServer
from tests.study.slurm_cluster import SlurmCluster, SlurmUnavailable
from tests.study.toy_helpers import TOY, Toy, wait_for

LAUNCHER = ("hydra/launcher=submitit_slurm", "hydra.launcher.partition=debug",
            "hydra.launcher.timeout_min=10", "hydra.launcher.cpus_per_task=1")


@pytest.fixture(scope="module")
def slurm() -> Iterator[SlurmCluster]:
    """munged, MariaDB, slurmdbd, slurmctld and slurmd on 127.0.0.1; the test fails without."""
    try:
        cluster = SlurmCluster.start()
    except SlurmUnavailable as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(f"cannot start the SLURM test cluster: {problem}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


def _trials(url: str) -> list[FrozenTrial]:
    storage = optuna.storages.RDBStorage(url)
    try:
        try:
            return optuna.load_study(study_name="toy", storage=storage).get_trials()
        except KeyError:
            return []
    finally:
        storage.engine.dispose()


def _overlap(jobs: list[dict[str, str]]) -> bool:
    """True when two of the jobs ran at the same time (from sacct's Start/End)."""
    spans = sorted((dt.datetime.fromisoformat(j["Start"]), dt.datetime.fromisoformat(j["End"]))
                   for j in jobs if j["Start"] not in ("", "Unknown", "None")
                   and j["End"] not in ("", "Unknown", "None"))
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


@pytest.mark.slow
@pytest.mark.chaos
def test_trials_run_as_slurm_jobs_and_a_cancelled_one_is_retried(
    slurm: SlurmCluster, postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    toy.env.update({**postgres.client_env(), **slurm.env})
    before = {j["JobID"] for j in slurm.jobs()}
    args = (*LAUNCHER, f"hydra.sweeper.storage={postgres.env_form(pg_url)}",
            "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", "hydra.sweeper.pruner=null",
            "hydra.sweeper.max_retry=2", "num_steps=20", "seconds_per_step=0.5")
    proc = toy.start(*args)

    def a_job_early_in_its_trial() -> str | None:
        """The SLURM job of a trial that has reported 1 or 2 of its 20 steps.

        scancel sends SIGTERM, which submitit's job ignores ("Bypassing signal SIGTERM"),
        and SIGKILL KillWait (5 s) later: only a trial with more than 5 s left dies. Seen
        at step 1-2 (of 0.5 s each), a trial has 8.5 s or more left, so the cancel kills it
        whenever the poll ran. (Picked by an event, not a nap after the job started: a
        loaded machine could stretch that nap, or a fast start end the trial in time.)
        """
        for trial in _trials(pg_url):
            job = trial.user_attrs.get("slurm_job_id")
            if trial.state == TrialState.RUNNING and job and 1 <= len(
                    trial.intermediate_values) <= 2:
                return str(job)
        return None

    victim = wait_for(a_job_early_in_its_trial, "a trial's job to report a step", deadline=300)
    slurm.run("scancel", victim)
    assert proc.wait(timeout=600) == 0, toy.output()[1]

    trials = _trials(pg_url)
    whole = assert_whole(trials, 4)
    # Two workers on PostgreSQL may both take the last free slot: the loser's trial is
    # discarded before any job runs (a timing race, checked by assert_whole).
    cancelled = [t for t in trials if t.state == TrialState.FAIL and not t.user_attrs.get(
        DISCARDED)]
    assert len(cancelled) == 1 and whole.lost == 1
    assert cancelled[0].user_attrs[FAIL_REASON] == f"SlurmJobEnded: job {victim} CANCELLED by 0"
    assert cancelled[0].user_attrs["slurm_job_id"] == victim
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == cancelled[0].number)
    assert retry.state == TrialState.COMPLETE and retry.params == cancelled[0].params
    ours = [j for j in slurm.jobs() if j["JobID"] not in before]
    assert all(j["JobName"] == "toy" for j in ours)
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert {t.user_attrs["slurm_job_id"] for t in done} <= {j["JobID"] for j in ours}
    assert len({t.user_attrs["slurm_job_id"] for t in done}) == 4  # one job per trial
    assert {t.user_attrs["slurm_node"] for t in done} == {slurm.node}
    assert len(ours) == 5  # 4 trials and the cancelled one
    assert _overlap(ours), ours  # n_jobs=2: two trials ran at once
    out, err = toy.output()
    assert f"study 'toy': 4/4 trials (+{1 + whole.discarded} retried/discarded)" in out
    assert postgres.password not in out + err
    # submitit pickles each job's config and keeps its logs: the secret is in none.
    pickles = list(toy.cwd.rglob("*.pkl"))
    assert pickles
    assert not [p for p in toy.cwd.rglob("*") if p.is_file()
                and postgres.password.encode() in p.read_bytes()]


def test_the_coordinating_process_imports_no_tensorflow() -> None:
    """What runs on the login node: the app module, the sweeper and the SLURM launcher."""
    code = ("import sys, sweep.app, hydra_plugins.tfod_optuna_sweeper._impl, "
            "hydra_plugins.hydra_submitit_launcher.submitit_launcher, submitit; "
            "assert 'tensorflow' not in sys.modules, 'the coordinator imported TensorFlow'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.chaos
def test_a_job_array_of_plain_workers_fills_one_study(
    slurm: SlurmCluster, postgres: PostgresServer, pg_url: str, toy: Toy
) -> None:
    toy.cwd.chmod(0o755)
    # Trials of 4 s: one task alone would need 24 s for the study, far longer than the two
    # tasks' start-ups (which run side by side) can differ, so both take trials.
    worker = " ".join(shlex.quote(a) for a in (
        sys.executable, str(TOY), "-m", "hparams_search=toy",
        f"hydra.sweeper.storage={postgres.env_form(pg_url)}", "hydra.sweeper.n_trials=6",
        "hydra.sweeper.pruner=null", "num_steps=4", "seconds_per_step=1.0"))
    env = {**postgres.client_env(), **slurm.env}
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--array=1-2", "--cpus-per-task=1", "--job-name=toyarray",
         f"--output={toy.cwd}/array-%A_%a.out", f"--chdir={toy.cwd}", f"--wrap={worker}"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    array = submitted.stdout.strip().split(";")[0]

    def finished() -> list[dict[str, str]] | None:
        """Both tasks, once the accounting database has their end (it lags squeue)."""
        tasks = [j for j in slurm.jobs() if j["JobID"].startswith(f"{array}_")]
        ended = len(tasks) == 2 and all(j["State"] not in ("PENDING", "RUNNING") for j in tasks)
        return tasks if ended else None

    tasks = wait_for(finished, "the job array to finish", deadline=300)
    assert sorted(j["State"] for j in tasks) == ["COMPLETED", "COMPLETED"], tasks
    trials = _trials(pg_url)
    assert_whole(trials, 6)
    counted = [t for t in trials if t.state == TrialState.COMPLETE]
    assert {t.user_attrs["slurm_array_job_id"] for t in counted} == {array}
    assert len({t.user_attrs["slurm_job_id"] for t in counted}) == 2  # both tasks worked
    assert _overlap(tasks), tasks
    for log in toy.cwd.glob("array-*.out"):
        assert postgres.password not in log.read_text()
