"""The race's decisions on made-up values: every rule follows from the numbers given."""

from __future__ import annotations

from collections import Counter

from hydra_plugins.tfod_optuna_sweeper._race._budget import Budget, busy_seconds, parse_budget
from hydra_plugins.tfod_optuna_sweeper._race._model import (
    CONFIRM,
    SEARCH,
    Assignment,
    Run,
    RunState,
)
from hydra_plugins.tfod_optuna_sweeper._race._plan import confirmation_of
from hydra_plugins.tfod_optuna_sweeper._race._verdict import verdict
from tests.race.simulate import SETTINGS, linear, simulate

NOISE = (0.02, -0.03, 0.01, -0.01, 0.03, -0.02, 0.0)
STEPS = parse_budget("2500 steps")


def _value(true_mean: float, seed: int, steps: int) -> float:
    return linear(true_mean, seed, steps, NOISE)


def test_a_candidate_worse_on_shared_seeds_is_dropped() -> None:
    runs = simulate([0.4, 0.8, 0.3, 0.35], _value, STEPS)
    dropped = runs[-1].assignment.dropped
    assert 0 in dropped  # the baseline (0.4) against the 0.8 point, the second new one
    assert dropped[0].startswith("worse than incumbent 2, paired on seeds")
    search = [r.assignment for r in runs if r.assignment.role == SEARCH]
    # A dropped candidate earns no seed after the run that dropped it.
    dropped_at = next(i for i, r in enumerate(runs) if 0 in r.assignment.dropped)
    assert not [a for a in search[dropped_at:] if a.candidate == 0 and a.steps == 100]


def test_no_triple_is_trained_twice() -> None:
    runs = simulate([0.4, 0.8, 0.78, 0.3, 0.79, 0.5], _value, parse_budget("6000 steps"))
    keys = Counter((r.assignment.role, r.assignment.key()) for r in runs)
    assert max(keys.values()) == 1
    # Promotions continue the run below them instead of starting again.
    promoted = [r.assignment for r in runs if r.assignment.start]
    assert promoted and all(a.resume_trial is not None for a in promoted)
    for a in promoted:
        below = runs[a.resume_trial].assignment  # type: ignore[index]
        assert (below.candidate, below.seed, below.steps) == (a.candidate, a.seed, a.start)


def test_confirmation_seeds_are_disjoint_from_selection_seeds() -> None:
    runs = simulate([0.4, 0.8, 0.6], _value, STEPS)
    search = {r.assignment.seed for r in runs if r.assignment.role == SEARCH}
    confirm = {r.assignment.seed for r in runs if r.assignment.role == CONFIRM}
    assert confirm == set(SETTINGS.confirm_seeds)
    assert not search & confirm
    # The confirmation runs the chosen candidates and the baseline, each on every seed.
    chosen = next(r.assignment.confirm_set for r in runs if r.assignment.confirm_set)
    assert chosen[-1] == 0 and len(chosen) == 3
    assert Counter(r.assignment.candidate for r in runs if r.assignment.role == CONFIRM) == {
        c: 3 for c in chosen}


def test_the_step_budget_holds_confirmation_included() -> None:
    for amount in (1200, 2500, 4000):
        runs = simulate([0.4, 0.8, 0.6], _value, Budget("steps", amount))
        trained = sum(r.assignment.steps - r.assignment.start for r in runs)
        assert trained <= amount
        assert any(r.assignment.role == CONFIRM for r in runs)


def test_a_better_point_is_confirmed_as_the_winner() -> None:
    runs = simulate([0.4, 0.8, 0.3], _value, STEPS)
    chosen = next(r.assignment.confirm_set for r in runs if r.assignment.confirm_set)
    result = verdict(runs, chosen, len(SETTINGS.confirm_seeds))
    assert result.complete
    assert result.winner is not None and result.winner.candidate == 2  # the 0.8 point
    assert result.text.startswith("trial 2 beats the baseline by +0.4")


def test_a_flat_objective_has_no_significant_winner() -> None:
    runs = simulate([0.5], _value, STEPS)  # every point is as good as the baseline
    chosen = next(r.assignment.confirm_set for r in runs if r.assignment.confirm_set)
    result = verdict(runs, chosen, len(SETTINGS.confirm_seeds))
    assert result.complete and result.winner is None
    assert result.text == "no setting beats the baseline beyond the seed noise"


def test_budgets_parse_in_the_units_users_think_in() -> None:
    assert parse_budget("90m") == Budget("seconds", 5400.0)
    assert parse_budget("1.5h") == Budget("seconds", 5400.0)
    assert parse_budget("20000 steps") == Budget("steps", 20000.0)
    assert parse_budget("12 runs") == Budget("runs", 12.0)


def test_a_time_budget_holds_confirmation_included() -> None:
    # Runs cost 10 s plus 1 s a step: the race learns that from its own runs.
    for minutes in (15, 30):
        runs = simulate([0.4, 0.8, 0.6], _value, parse_budget(f"{minutes}m"))
        spent = sum(r.seconds or 0.0 for r in runs)
        assert spent <= minutes * 60
        assert any(r.assignment.role == CONFIRM for r in runs)


def test_two_workers_spend_the_time_budget_as_wall_time() -> None:
    # The budget is wall time: two workers share it, so the race prices a run at half
    # its length (measured from its own runs, not from a worker count it is told) and
    # searches until the budget, not half of it, is spent.
    runs = simulate([0.4, 0.8, 0.6], _value, parse_budget("30m"), workers=2)
    wall = busy_seconds([(r.started, r.started + r.seconds) for r in runs])  # type: ignore[operator]
    # Running runs are priced at their share of the workers, so the last ones' tail may
    # pass the budget by a little: here 10 s of 1800.
    assert 0.85 * 30 * 60 <= wall <= 1.02 * 30 * 60
    assert any(r.assignment.role == CONFIRM for r in runs)
    assert sum(r.seconds or 0.0 for r in runs) > 1.5 * wall  # they did run side by side


def test_the_lower_bound_ranks_a_steady_candidate_above_a_scattered_one() -> None:
    from hydra_plugins.tfod_optuna_sweeper._race._model import Assignment, Run, RunState
    from hydra_plugins.tfod_optuna_sweeper._race._plan import Race

    def runs(candidate: int, values: list[float], first_trial: int) -> list[Run]:
        return [Run(first_trial + i, Assignment(candidate, seed, 100), RunState.DONE, v)
                for i, (seed, v) in enumerate(zip((0, 1, 2), values, strict=False))]

    steady, scattered = [0.60, 0.61, 0.59], [0.40, 0.80, 0.60]  # both average 0.60
    history = runs(1, steady, 0) + runs(2, scattered, 3)
    for objective, expected in (("mean", None), ("lcb", 1)):
        settings = SETTINGS.__class__(**{**SETTINGS.__dict__, "objective": objective})
        race = Race(history, settings)
        noise = race.noise()
        scores = {c: race.score(c, noise) for c in (1, 2)}
        if expected is None:
            assert abs(scores[1] - scores[2]) < 1e-9
        else:
            assert scores[1] > scores[2]


def test_a_drop_survives_a_retried_run_that_carries_an_older_list() -> None:
    from dataclasses import replace

    from hydra_plugins.tfod_optuna_sweeper._race._plan import Race

    runs = simulate([0.4, 0.8, 0.3, 0.35], _value, STEPS)
    dropped_at = next(i for i, r in enumerate(runs) if r.assignment.dropped)
    # A retry of an early run (a lost worker) is numbered last but carries no drops.
    retry = replace(runs[0], trial=len(runs), assignment=replace(runs[0].assignment, dropped={}))
    race = Race([*runs, retry], SETTINGS)
    assert set(race.dropped) >= set(runs[dropped_at].assignment.dropped)


def _confirm_run(trial: int, candidate: int, seed: int, value: float | None,
                 baseline: bool = False):
    from hydra_plugins.tfod_optuna_sweeper._race._model import Assignment, Run, RunState

    state = RunState.FAILED if value is None else RunState.DONE
    return Run(trial, Assignment(candidate, seed, 100, role=CONFIRM, baseline=baseline),
               state, value)


def test_a_confirmation_run_that_crashes_ends_the_verdict_without_certifying_it() -> None:
    # Candidate 5 is far ahead on the seeds it finished, but diverged on seed 1001: the
    # verdict is complete (nothing is left to run) and does not certify it.
    runs = [_confirm_run(10, 5, 1000, 0.80), _confirm_run(11, 0, 1000, 0.40, baseline=True),
            _confirm_run(12, 5, 1001, None), _confirm_run(13, 0, 1001, 0.42, baseline=True),
            _confirm_run(14, 5, 1002, 0.82), _confirm_run(15, 0, 1002, 0.41, baseline=True)]
    result = verdict(runs, (5, 0), expected_seeds=3)
    assert result.complete and result.winner is None
    assert result.text == ("no setting beats the baseline beyond the seed noise; trial 5 "
                           "crashed on fresh seed(s) 1001, so it is not certified")
    # The same values without the crash certify it.
    runs[2] = _confirm_run(12, 5, 1001, 0.81)
    result = verdict(runs, (5, 0), expected_seeds=3)
    assert result.complete and result.winner is not None and result.winner.candidate == 5


def test_the_baseline_joins_a_confirmation_fixed_before_it_ran() -> None:
    # A study resumed after its enqueued baseline's first run was stopped: the baseline
    # (candidate 9) ran only after the confirmation set (5,) was fixed.
    runs = [
        Run(5, Assignment(5, 0, 100), RunState.DONE, 0.7),
        Run(7, Assignment(5, 1000, 100, role=CONFIRM, confirm_set=(5,)), RunState.DONE, 0.6),
        Run(9, Assignment(9, 0, 100, baseline=True), RunState.DONE, 0.4),
    ]
    assert confirmation_of(runs) == (5, 9)
    assert confirmation_of(runs[:2]) == (5,)  # no baseline known: nothing to add
    assert confirmation_of([runs[0], runs[2]]) is None  # not confirming yet
    fixed = [*runs[:1], Run(7, Assignment(5, 1000, 100, role=CONFIRM, confirm_set=(5, 9)),
                            RunState.DONE, 0.6), runs[2]]
    assert confirmation_of(fixed) == (5, 9)
