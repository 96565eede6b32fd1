"""Races stored as ordinary Optuna trials: one trial per run, its assignment in its attrs.

The assignment is a system attribute, so a retried trial (a lost worker, a full disk)
carries it over and runs the same (candidate, seed, steps); it is also a user attribute,
so optuna-dashboard shows every trial's place in the race.
"""

from __future__ import annotations

from collections.abc import Sequence

from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, INTERRUPTED
from hydra_plugins.tfod_optuna_sweeper._budget import retried_numbers
from hydra_plugins.tfod_optuna_sweeper._race._model import Assignment, Run, RunState

ASSIGNMENT = "tfod_sweep:race"
"""System attr: the trial's assignment (what it trains), as ``Assignment.to_attr``."""
RACE = "race"
"""User attr: the same, for people reading optuna-dashboard."""
TRAIN_SECONDS = "train_seconds"
"""User attr a job may set: seconds in training steps (the rest is per-run overhead)."""


def assignment_of(trial: FrozenTrial) -> Assignment | None:
    attr = trial.system_attrs.get(ASSIGNMENT)
    return None if attr is None else Assignment.from_attr(attr)


def runs_before(trials: Sequence[FrozenTrial], number: int, lag: int, sign: float) -> list[Run]:
    """The runs trial ``number`` may plan from: results of trials below ``number - lag``.

    Later assigned trials are PENDING whatever their state, so the plan does not depend
    on which of them happen to have finished. A run stopped by the user (or discarded)
    established nothing and may be planned again; a crash is FAILED once visible, and a
    run an Optuna pruner stopped (a race may keep one, to compare strategies) PRUNED.
    """
    retried = retried_numbers(trials)
    runs = []
    for trial in trials:
        assignment = assignment_of(trial)
        if assignment is None or trial.number == number or trial.number in retried:
            continue
        if trial.state == TrialState.FAIL and (trial.user_attrs.get(INTERRUPTED)
                                               or trial.user_attrs.get(DISCARDED)):
            continue
        visible = trial.number < number - lag and trial.state.is_finished()
        if not visible:
            runs.append(Run(trial.number, assignment, RunState.PENDING))
        elif trial.state == TrialState.COMPLETE:
            runs.append(Run(trial.number, assignment, RunState.DONE, sign * float(trial.value),
                            curve=dict(trial.intermediate_values), seconds=_seconds(trial),
                            train_seconds=_float(trial.user_attrs.get(TRAIN_SECONDS)),
                            started=_started(trial)))
        elif trial.state == TrialState.PRUNED:
            runs.append(Run(trial.number, assignment, RunState.PRUNED,
                            curve=dict(trial.intermediate_values), seconds=_seconds(trial),
                            started=_started(trial)))
        else:
            runs.append(Run(trial.number, assignment, RunState.FAILED, seconds=_seconds(trial),
                            started=_started(trial)))
    return runs


def all_runs(trials: Sequence[FrozenTrial], sign: float) -> list[Run]:
    """Every run with every finished result visible (for reports, not for planning)."""
    return runs_before(trials, max((t.number for t in trials), default=0) + 1, 0, sign)


def _seconds(trial: FrozenTrial) -> float | None:
    if trial.datetime_start is None or trial.datetime_complete is None:
        return None
    return (trial.datetime_complete - trial.datetime_start).total_seconds()


def _started(trial: FrozenTrial) -> float | None:
    return None if trial.datetime_start is None else trial.datetime_start.timestamp()


def _float(value: object) -> float | None:
    try:
        return None if value is None else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
