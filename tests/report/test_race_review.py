"""The race in review: which run a finished race ships, and how a confirmation reads."""

from __future__ import annotations

from typing import Any

import pytest

from tfod_sweep.errors import SweepError
from tfod_sweep.review.race import race_choice


def _run(trial: int, seed: int, steps: int, value: float | None,
         role: str = "search", state: str = "done") -> dict[str, Any]:
    return {"trial": trial, "seed": seed, "steps": steps, "role": role, "state": state,
            "value": value}


def _record(winner: bool, complete: bool = True) -> dict[str, Any]:
    baseline = {"candidate": 0, "baseline": True, "confirmed": {"winner": False},
                "runs": [_run(0, 0, 700, 0.2), _run(2, 0, 1400, 0.41),
                         _run(20, 1000, 1400, 0.45, "confirm")]}
    challenger = {"candidate": 5, "baseline": False, "confirmed": {"winner": winner},
                  "runs": [_run(5, 0, 700, 0.9),  # a rung run is never shipped
                           _run(7, 0, 1400, 0.75), _run(9, 1, 1400, None, state="failed"),
                           _run(21, 1000, 1400, 0.81, "confirm"),
                           _run(23, 1001, 1400, 0.78, "confirm")]}
    dropped = {"candidate": 8, "baseline": False, "confirmed": None,
               "runs": [_run(8, 0, 1400, 0.95)]}
    return {"complete": complete, "candidates": [baseline, challenger, dropped]}


def test_the_confirmed_winner_ships_its_best_full_length_run() -> None:
    trial, why = race_choice(_record(winner=True), maximize=True)
    assert trial == 21
    assert why == "the race's confirmed winner, candidate 5: its best full-length run (seed 1000)"


def test_without_a_winner_the_baseline_ships() -> None:
    trial, why = race_choice(_record(winner=False), maximize=True)
    assert trial == 20
    assert why.startswith("no setting beat the baseline beyond the seed noise")


def test_a_minimised_objective_ships_the_lowest_run() -> None:
    assert race_choice(_record(winner=True), maximize=False)[0] == 7


def test_a_race_without_a_verdict_names_what_to_do() -> None:
    with pytest.raises(SweepError, match="no verdict yet .* pass --trial N"):
        race_choice(_record(winner=True, complete=False), maximize=True)


def test_a_confirmed_cell_names_the_seeds_it_crashed_on() -> None:
    from tfod_sweep.review.race import confirmed_cell

    cell = confirmed_cell({"mean": 0.5, "std": 0.1, "n": 2, "failed_seeds": [1001]})
    assert cell == "0.5000 ± 0.1000 (n = 2); crashed on seed(s) 1001"
