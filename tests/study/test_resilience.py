"""Interrupts, kills, resumes and parallel workers, on the real default journal storage."""

from __future__ import annotations

import os
import signal

import pytest
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import (
    FAIL_REASON,
    HEARTBEAT,
    INTERRUPTED,
    RETRIED_FROM,
)
from tests.study.toy_helpers import Toy, last_line, wait_for

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _snapshot(toy: Toy) -> dict[int, tuple[dict[str, object], float | None]]:
    return {t.number: (t.params, t.value) for t in toy.trials() if t.state == TrialState.COMPLETE}


@pytest.mark.slow
@pytest.mark.chaos
def test_sigint_marks_the_running_trial_fail_and_a_rerun_resumes(toy: Toy) -> None:
    args = ("hydra.sweeper.pruner=null", "num_steps=8", "seconds_per_step=0.4")
    proc = toy.start(*args)

    def early_in_a_trial_after_one_complete() -> bool:
        trials = toy.trials()
        done = any(t.state == TrialState.COMPLETE for t in trials)
        # Not the last of the 4 trials: a slow poll on a loaded machine once saw the last
        # trial mid-way, and the sweep had finished (exit 0) before the signal arrived.
        # Early in it (1-3 of 8 steps reported when the journal was read, so at most 4 steps
        # of 0.4 s done): 1.6 s or more of the trial are left for the signal to land in.
        return done and any(t.state == TrialState.RUNNING and 1 <= len(t.intermediate_values)
                            <= 3 and t.number < 3 for t in trials)

    wait_for(early_in_a_trial_after_one_complete, "a trial early on after a completed one",
             deadline=180)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) != 0
    out, err = toy.output()
    assert last_line(err).startswith("error: interrupted")
    assert "Traceback" not in err

    trials = toy.trials()
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    stopped = [t for t in trials if t.user_attrs.get(INTERRUPTED)]
    assert len(stopped) == 1 and stopped[0].state == TrialState.FAIL
    assert stopped[0].user_attrs[FAIL_REASON].startswith("KeyboardInterrupt")
    before = _snapshot(toy)
    assert before

    result = toy.run(*args)
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert len(trials) == 4
    assert all(t.state in FINISHED for t in trials)
    after = _snapshot(toy)
    assert {n: after[n] for n in before} == before
    # The resumed run drew new points instead of replaying the first run's.
    assert len({t.params["x"] for t in trials}) == 4
    # Only the missing trials ran: each number (hence run dir) was used once.
    assert sorted(p.name for p in (toy.cwd / "outputs/studies/toy").glob("trial_*")) == [
        f"trial_{n}" for n in range(4)
    ]


def test_two_workers_share_one_study_without_exceeding_n_trials(toy: Toy) -> None:
    args = ("hydra.sweeper.n_trials=6", "hydra.sweeper.pruner=null", "seconds_per_step=0.05")
    first = toy.start(*args, name="first")
    second = toy.start(*args, name="second")
    assert first.wait(timeout=120) == 0, toy.output("first")[1]
    assert second.wait(timeout=120) == 0, toy.output("second")[1]

    trials = toy.trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # Same seed in both workers, yet no two trials replay one random draw.
    assert len({t.params["x"] for t in trials}) == 6
    for name in ("first", "second"):
        text = "\n".join(toy.output(name)).lower()
        assert "database is locked" not in text
        assert "lock" not in text
        assert "traceback" not in text


@pytest.mark.chaos
def test_a_trial_of_a_sigkilled_worker_is_reclaimed_by_a_later_run(toy: Toy) -> None:
    common = ("hydra.sweeper.n_trials=2", "hydra.sweeper.pruner=null")
    doomed = toy.start(*common, "seconds_per_step=30", name="doomed")

    def running() -> bool:
        trials = toy.trials()
        # The heartbeat starts before the parameters are drawn: wait for all three, or a
        # kill in between leaves a trial with some of them (then the retry draws the rest).
        return bool(trials) and HEARTBEAT in trials[0].system_attrs and (
            set(trials[0].params) == {"x", "y", "opt"})

    wait_for(running, "trial 0 to run with a heartbeat and all its parameters", deadline=180)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    assert toy.trials()[0].state == TrialState.RUNNING  # left behind by the kill

    result = toy.run(*common, "seconds_per_step=0.05")
    assert result.returncode == 0, result.stderr

    trials = toy.trials()
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    lost = trials[0]
    assert lost.state == TrialState.FAIL
    assert lost.user_attrs[FAIL_REASON].startswith("WorkerLost")
    retries = [t for t in trials if t.system_attrs.get(RETRIED_FROM) == 0]
    assert len(retries) == 1
    assert retries[0].state == TrialState.COMPLETE
    assert retries[0].params == lost.params
    # The retry took the lost trial's slot: n_trials=2 finished results.
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 2


@pytest.mark.slow
def test_n_jobs_workers_run_trials_concurrently_without_batches(toy: Toy) -> None:
    # Trial x=0.95 is slow (3 steps x 5 s); the other three take well under a second.
    result = toy.run(
        "hydra.sweeper.n_jobs=2",
        "hydra.sweeper.history_lag=0",  # no waiting for older trials (test_history_lag.py)
        "hydra.sweeper.pruner=null",
        "hydra.sweeper.enqueue=[{x:0.95},{x:0.1},{x:0.2},{x:0.3}]",
        "num_steps=3",
        "seconds_per_step=0.05",
        "slow_x_above=0.9",
        "slow_seconds_per_step=5",
    )
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # two processes ran trials

    slow = next(t for t in trials if t.params["x"] == 0.95)
    inside = [
        t
        for t in trials
        if t is not slow
        and slow.datetime_start < t.datetime_start
        and t.datetime_complete < slow.datetime_complete
    ]
    # In batches of 2, at most one trial could run beside the slow one; a free worker
    # that takes the next trial at once runs all three while the slow one trains.
    assert len(inside) == 3
