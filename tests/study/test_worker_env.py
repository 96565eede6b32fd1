"""The sweeper's worker subprocesses get TF_USE_LEGACY_KERAS (tfod_sweep.compat)."""

from __future__ import annotations

from optuna.trial import TrialState

from tests.study.toy_helpers import Toy
from tests.test_legacy_keras import EXPECTED
from tfod_sweep.compat import LEGACY_KERAS


def test_sweep_workers_see_legacy_keras(toy: Toy) -> None:
    toy.env.update({LEGACY_KERAS: ""})  # cleared: each process must set it itself
    result = toy.run("hydra.sweeper.n_jobs=2", "hydra.sweeper.history_lag=0",
                     "hydra.sweeper.pruner=null", "num_steps=3", "seconds_per_step=0.05",
                     "hydra.sweeper.enqueue=[{x:0.95},{x:0.1},{x:0.2},{x:0.3}]",
                     "slow_x_above=0.9", "slow_seconds_per_step=3")
    assert result.returncode == 0, result.stderr[-3000:]
    trials = toy.trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert len({t.user_attrs["pid"] for t in trials}) == 2, "a worker subprocess ran trials"
    assert {t.user_attrs["legacy_keras"] for t in trials} == {EXPECTED or ""}
