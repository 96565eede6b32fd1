"""What a race's sampler learns from: first runs, and crashed points as the worst seen."""

from __future__ import annotations

import optuna
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import INTERRUPTED
from hydra_plugins.tfod_optuna_sweeper._race._claims import sampler_history
from hydra_plugins.tfod_optuna_sweeper._race._model import Assignment
from hydra_plugins.tfod_optuna_sweeper._race._trials import ASSIGNMENT


def _trial(number: int, candidate: int, seed: int, steps: int, value: float | None,
           state: TrialState = TrialState.COMPLETE, **user_attrs: object) -> FrozenTrial:
    trial = optuna.trial.create_trial(
        state=state, value=value, params={}, distributions={}, user_attrs=dict(user_attrs),
        system_attrs={ASSIGNMENT: Assignment(candidate, seed, steps).to_attr()})
    trial.number = number
    return trial


HISTORY = [
    _trial(0, 0, 0, 50, 0.20),                      # baseline, first run
    _trial(1, 1, 0, 50, 0.60),                      # looks good at the rung ...
    _trial(2, 1, 0, 100, None, TrialState.FAIL),    # ... but diverges at full length
    _trial(3, 3, 0, 50, 0.35),
    _trial(4, 4, 0, 50, None, TrialState.FAIL),     # crashes in its first run
    _trial(5, 5, 0, 50, None, TrialState.FAIL, **{INTERRUPTED: True}),  # Ctrl-C
    _trial(6, 3, 0, 100, 0.50),                     # a later run: not a first run
]


def test_the_sampler_sees_first_runs_and_crashed_points_as_the_worst_seen() -> None:
    shown = {t.number: t for t in sampler_history(1.0)(HISTORY)}
    assert sorted(shown) == [0, 1, 3, 4, 5]
    assert (shown[0].value, shown[3].value) == (0.20, 0.35)
    assert shown[1].state == shown[4].state == TrialState.COMPLETE
    assert shown[1].value == shown[4].value == 0.20
    assert shown[5].state == TrialState.FAIL  # a stop by the user says nothing of the point
    assert HISTORY[1].value == 0.60  # the storage's own trial is untouched


def test_a_minimised_objective_shows_crashes_as_its_largest_value() -> None:
    shown = {t.number: t for t in sampler_history(-1.0)(HISTORY)}
    assert shown[1].value == shown[4].value == 0.35
