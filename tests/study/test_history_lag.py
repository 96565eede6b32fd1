"""A parallel study searches the same points however its trials' timings fall.

Each run below goes through the real sweeper, real worker processes and the real journal
storage. Trials are made slow in different ways per run, so the order in which they
finish differs; with ``history_lag`` the sampled parameters and the pruning decisions
must not.
"""

from __future__ import annotations

import signal

import pytest
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON, INTERRUPTED
from tests.study.toy_helpers import Toy, last_line, wait_for
from tfod_sweep.thread_pools import cores

STUDY = (
    "hydra.sweeper.n_trials=8",
    "hydra.sweeper.sampler.seed=7",
    # The pruning decisions follow from these values, not from TPE's draws (which differ
    # between CPU kinds): with the lag, trial 3 is compared with trials 0 and 1 and is
    # pruned at its first step, while trials 0-2 see too few trials to be pruned.
    "hydra.sweeper.enqueue=[{x:0.9},{x:0.8},{x:0.7},{x:0.1}]",
    "hydra.sweeper.sampler.n_startup_trials=2",  # TPE from trial 4: it reads the history
    "hydra.sweeper.pruner.n_startup_trials=2",
    "hydra.sweeper.pruner.n_warmup_steps=1",
    "num_steps=3",
    "seconds_per_step=0.05",
)


def _study(trials: list[FrozenTrial]) -> list[tuple[int, str, dict[str, object]]]:
    return [(t.number, t.state.name, t.params) for t in trials]


@pytest.mark.slow
def test_parallel_study_matches_the_sequential_one_with_the_same_lag(toy: Toy) -> None:
    studies = []
    for run, timing in enumerate((
        ("hydra.sweeper.n_jobs=1", "hydra.sweeper.history_lag=1"),
        # Trials with a high x are slow here, so low ones overtake them ...
        ("hydra.sweeper.n_jobs=2", "seconds_per_step=0.3", "slow_x_above=0.5",
         "slow_seconds_per_step=1.5"),
        # ... and here all are equally slow, so the second worker joins while they run.
        # (With history_lag=0 these two runs and the first searched three different
        # studies when this test was written.)
        ("hydra.sweeper.n_jobs=2", "seconds_per_step=1.0"),
    )):
        name = f"lag_{run}"
        result = toy.run(*STUDY, *timing, f"hydra.sweeper.study_name={name}", timeout=240)
        assert result.returncode == 0, result.stderr
        trials = toy.trials(name)
        assert len(trials) == 8
        studies.append(_study(trials))
        if run:
            pids = {t.user_attrs.get("pid") for t in trials if t.state.name == "COMPLETE"}
            assert len(pids) == 2  # two processes ran trials
            # Each worker's TensorFlow gets its share of the cores.
            share = str(max(1, cores() // 2))
            assert {t.user_attrs["intra_op_threads"] for t in trials} == {share}
    assert studies[1] == studies[0]
    assert studies[2] == studies[0]
    # Both decisions are exercised, whatever TPE draws on this CPU for trials 4-7.
    states = {number: state for number, state, _ in studies[0]}
    assert [states[n] for n in range(4)] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"]


@pytest.mark.slow
def test_history_lag_needs_heartbeats(toy: Toy) -> None:
    result = toy.run("hydra.sweeper.n_jobs=2", "hydra.sweeper.heartbeat_interval=null")
    assert result.returncode != 0
    assert "history_lag=1 waits for older trials" in result.stderr.strip().splitlines()[-1]
    assert toy.trials() == []


@pytest.mark.slow
def test_ctrl_c_reaches_a_worker_waiting_for_its_history(toy: Toy) -> None:
    # Trial 0 trains 30 s; the worker that finishes trial 1 must wait for it before it may
    # sample trial 2. Ctrl-C then stops both at once, and nothing stays RUNNING.
    proc = toy.start("hydra.sweeper.n_jobs=2", "hydra.sweeper.pruner=null",
                     "hydra.sweeper.enqueue=[{x:0.95},{x:0.1}]", "num_steps=3",
                     "seconds_per_step=0.05", "slow_x_above=0.9", "slow_seconds_per_step=10")

    def trial_2_waiting() -> bool:
        trials = {t.number: t for t in toy.trials()}
        return (2 in trials and trials[2].state == TrialState.RUNNING and not trials[2].params
                and trials[0].state == TrialState.RUNNING)

    wait_for(trial_2_waiting, "trial 2 waiting for trial 0", deadline=25)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) != 0  # long before trial 0 would have finished
    assert last_line(toy.output()[1]).startswith("error: interrupted")
    trials = {t.number: t for t in toy.trials()}
    assert not [t for t in trials.values() if t.state == TrialState.RUNNING]
    for number in (0, 2):
        assert trials[number].state == TrialState.FAIL
        assert trials[number].user_attrs[INTERRUPTED] is True
        assert trials[number].user_attrs[FAIL_REASON].startswith("KeyboardInterrupt")
