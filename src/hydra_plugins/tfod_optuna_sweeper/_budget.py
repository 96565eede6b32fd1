"""Which trials count against a study's ``n_trials`` and its failure budget, and which
have run an enqueued point.

``n_trials`` is the size of the whole study, not of one run, so it is computed from the
storage every time: a resumed run or a second worker only fills the slots still free.

* A trial takes a slot from the moment it exists (WAITING, RUNNING or finished).
* A trial that lost its worker and was retried gives its slot to the retry: the retry
  carries the same parameters, so the study still has one result per slot.
* A trial discarded because a racing worker overshot ``n_trials`` takes no slot.

The failure budget counts FAIL trials in slots, except those stopped by the user
(Ctrl-C), which say nothing about the search space. For the same reason such a trial
has not run its point: an enqueued point whose only trials were stopped is queued again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, INTERRUPTED, RETRY_HISTORY
from hydra_plugins.tfod_optuna_sweeper._optuna_private import FIXED_PARAMS


def retried_numbers(trials: Sequence[FrozenTrial]) -> set[int]:
    """Numbers of trials that a later trial retries."""
    numbers: set[int] = set()
    for trial in trials:
        numbers.update(int(n) for n in trial.system_attrs.get(RETRY_HISTORY, []))
    return numbers


def slot_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials that occupy one of the study's ``n_trials`` slots, by trial number."""
    retried = retried_numbers(trials)
    kept = [
        t
        for t in trials
        if t.number not in retried
        and not (t.state == TrialState.FAIL and t.user_attrs.get(DISCARDED))
    ]
    return sorted(kept, key=lambda t: t.number)


def failed_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """FAIL trials that count against ``max_failure_rate``."""
    return [
        t
        for t in slot_trials(trials)
        if t.state == TrialState.FAIL and not t.user_attrs.get(INTERRUPTED)
    ]


def holds_point(trial: FrozenTrial, point: Mapping[str, object]) -> bool:
    """Whether ``trial`` ran, runs or will run ``point`` (one stopped or discarded did not)."""
    if trial.state == TrialState.FAIL and (trial.user_attrs.get(INTERRUPTED)
                                           or trial.user_attrs.get(DISCARDED)):
        return False
    params = trial.system_attrs.get(FIXED_PARAMS, trial.params)
    if params.keys() != point.keys():
        return False
    return all(_same(params[name], value) for name, value in point.items())


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(
            a, b, rel_tol=1e-9)
    return a == b


def max_failures(n_trials: int, max_failure_rate: float) -> int:
    """Largest number of failures a study of ``n_trials`` tolerates."""
    return int(max_failure_rate * n_trials + 1e-9)
