"""A race driven in memory: each new point gets a true mean from a list, each seed a
fixed offset, and each rung a fraction of the final value; no sampler, no storage."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hydra_plugins.tfod_optuna_sweeper._race._budget import Budget, CostModel
from hydra_plugins.tfod_optuna_sweeper._race._model import Assignment, RaceSettings, Run, RunState
from hydra_plugins.tfod_optuna_sweeper._race._plan import plan

SETTINGS = RaceSettings(rungs=(50, 100), seeds=(0, 1, 2, 3), confirm_seeds=(1000, 1001, 1002))

Value = Callable[[float, int, int], float]


def linear(true_mean: float, seed: int, steps: int, noise: Sequence[float] = (0.0,)) -> float:
    """The value of a point of ``true_mean`` at ``steps`` of 100, on ``seed``."""
    return true_mean * steps / 100 + noise[seed % len(noise)]


def simulate(means: Sequence[float], value: Value, budget: Budget,
             settings: RaceSettings = SETTINGS, max_trials: int = 200,
             seconds_per_step: float = 1.0, overhead: float = 10.0,
             workers: int = 1) -> list[Run]:
    """Run the race on ``workers`` workers sharing one clock; the first point is the
    baseline, as an enqueued one.

    Each run takes ``overhead`` seconds plus ``seconds_per_step`` per step it trains. A
    trial plans from the runs that ended before it starts; the others are pending. A
    worker given nothing to run retires, as a real one does.
    """
    ended: list[tuple[float, Run]] = []
    free = [0.0] * workers
    truth: dict[int, float] = {}
    for trial in range(max_trials):
        now = min(free)
        if now == float("inf"):
            return [run for _, run in sorted(ended, key=lambda item: item[1].trial)]
        slot = free.index(now)
        runs = sorted((run if end <= now else Run(run.trial, run.assignment, RunState.PENDING)
                       for end, run in ended), key=lambda r: r.trial)
        decision = plan(runs, settings, CostModel.learn(budget, runs))
        if decision.assignment is None:
            free[slot] = float("inf")
            continue
        assignment: Assignment = decision.assignment
        if decision.new_point:
            truth[trial] = means[len(truth) % len(means)]
            assignment = Assignment(trial, assignment.seed, assignment.steps,
                                    baseline=trial == 0, reason=assignment.reason,
                                    dropped=assignment.dropped)
        result = value(truth[assignment.candidate], assignment.seed, assignment.steps)
        train = seconds_per_step * (assignment.steps - assignment.start)
        run = Run(trial, assignment, RunState.DONE, result, seconds=overhead + train,
                  train_seconds=train, started=now)
        ended.append((now + run.seconds, run))  # type: ignore[operator]
        free[slot] = now + overhead + train
    raise AssertionError(f"the race did not end within {max_trials} trials")
