"""A racing study through the real sweeper, worker processes and journal storage.

The toy app stands in for training: its value is ``x`` scaled by the step, shifted per
seed by a fixed offset, so every decision follows from numbers the test knows, never
from a particular sampler draw.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM, SEARCH, Assignment
from hydra_plugins.tfod_optuna_sweeper._race._trials import assignment_of
from tests.study.toy_helpers import Toy, last_line, wait_for

pytestmark = pytest.mark.slow


def _assignments(trials: list[FrozenTrial]) -> list[tuple[int, Assignment]]:
    found = [(t.number, assignment_of(t)) for t in trials if t.state == TrialState.COMPLETE]
    return [(number, a) for number, a in found if a is not None]


def _race(toy: Toy, *args: str, study: str = "toy") -> list[FrozenTrial]:
    toy.search = "race"
    result = toy.run(*args, f"hydra.sweeper.study_name={study}", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return toy.trials(study)


def test_a_race_stays_within_its_budget_and_confirms_on_fresh_seeds(toy: Toy) -> None:
    trials = _race(toy)
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    runs = _assignments(trials)
    trained = sum(a.steps - a.start for _, a in runs)
    assert trained <= 60  # budget: 60 steps, confirmation included
    # No (point, seed, steps) is trained twice.
    assert max(Counter((a.role, a.key()) for _, a in runs).values()) == 1
    selection = {a.seed for _, a in runs if a.role == SEARCH}
    confirmation = {a.seed for _, a in runs if a.role == CONFIRM}
    assert confirmation == {1000, 1001} and not selection & confirmation
    # A promoted run continued its rung's checkpoint, in the job, with its seed.
    by_number = {t.number: t for t in trials}
    promoted = [(n, a) for n, a in runs if a.start]
    assert promoted
    for number, a in promoted:
        seen = by_number[number].user_attrs["race_seen"]
        assert (seen["resumed_at"], seen["stop_at"], seen["seed"]) == (a.start, a.steps, a.seed)
    # The baseline (x=0.3) is raced, and the confirmed winner beats it.
    baseline = [a for _, a in runs if a.baseline]
    assert {a.candidate for a in baseline} == {0}
    assert max(a.steps for a in baseline) == 4


def test_the_verdict_is_printed_from_the_confirmation_runs(toy: Toy) -> None:
    toy.search = "race"
    result = toy.run()
    assert result.returncode == 0, result.stderr[-3000:]
    verdict = next(line for line in result.stdout.splitlines() if line.startswith("verdict:"))
    # Enqueued x=0.3 against points near x=1: the toy's gap is far beyond its seed noise.
    assert " beats the baseline by +" in verdict and "n = 2 + 2" in verdict


def test_a_flat_objective_has_no_significant_winner(toy: Toy) -> None:
    # Every point gets the same value per seed: nothing can beat the baseline.
    result = _race_output(toy, "hydra.sweeper.params.x='interval(0.3, 0.3000001)'",
                          "hydra.sweeper.enqueue=[{x:0.3}]")
    assert "verdict: no setting beats the baseline beyond the seed noise" in result


def _race_output(toy: Toy, *args: str) -> str:
    toy.search = "race"
    result = toy.run(*args, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.long  # ~50 s: two races, one with two workers
def test_two_workers_give_the_same_race_as_one(toy: Toy) -> None:
    studies = []
    for name, timing in (("one", ("hydra.sweeper.n_jobs=1", "hydra.sweeper.history_lag=1")),
                         ("two", ("hydra.sweeper.n_jobs=2", "seconds_per_step=0.2",
                                  "slow_x_above=0.6", "slow_seconds_per_step=0.6"))):
        trials = _race(toy, *timing, study=name)
        studies.append([(n, a.key(), a.role, trials[n].params) for n, a in _assignments(trials)])
        if name == "two":
            pids = {t.user_attrs.get("pid") for t in trials if t.state == TrialState.COMPLETE}
            assert len(pids) == 2
    assert len(studies[0]) > 10
    assert studies[1] == studies[0]


@pytest.mark.long  # ~40 s: a race stopped by Ctrl-C, then resumed
def test_an_interrupted_race_resumes_and_keeps_its_runs(toy: Toy) -> None:
    toy.search = "race"
    args = ("seconds_per_step=0.3",)
    proc = toy.start(*args)
    wait_for(lambda: len([t for t in toy.trials() if t.state == TrialState.COMPLETE]) >= 6,
             "six finished runs", deadline=120)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    assert last_line(toy.output()[1]).startswith("error: interrupted")
    before = {n: a for n, a in _assignments(toy.trials())}
    trials = _race(toy, *args)
    after = dict(_assignments(trials))
    assert {n: after[n] for n in before} == before  # nothing finished is run again
    runs = list(after.values())
    assert max(Counter((a.role, a.key()) for a in runs).values()) == 1
    assert sum(a.steps - a.start for a in runs) <= 60
    assert any(a.role == CONFIRM for a in runs)
    assert not [t for t in trials if t.state == TrialState.RUNNING]


@pytest.mark.long  # ~30 s: a race stopped in its baseline's first run, then resumed
def test_a_race_stopped_in_its_baselines_first_run_resumes_with_its_baseline(
        toy: Toy) -> None:
    toy.search = "race"
    args = ("seconds_per_step=0.5",)
    proc = toy.start(*args)

    def baseline_running() -> bool:
        return any(t.state == TrialState.RUNNING and t.params.get("x") == 0.3
                   for t in toy.trials())

    wait_for(baseline_running, "the baseline's first run", deadline=60)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    stopped = [t for t in toy.trials() if t.state == TrialState.FAIL]
    assert [t.params["x"] for t in stopped if t.params.get("x") == 0.3] == [0.3]

    result = toy.run(timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [a for _, a in _assignments(toy.trials())]
    baseline = {a.candidate for a in runs if a.baseline}
    assert len(baseline) == 1 and baseline != {stopped[0].number}
    assert {a.seed for a in runs if a.baseline and a.role == CONFIRM} == {1000, 1001}
    assert " beats the baseline by +" in next(
        line for line in result.stdout.splitlines() if line.startswith("verdict:"))


def test_a_confirmed_race_says_a_larger_budget_does_not_reopen_it(toy: Toy) -> None:
    before = len(_race(toy))
    result = toy.run("hydra.sweeper.budget=120 steps", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "has reached its race's confirmation: a larger budget does not reopen" in (
        result.stdout + result.stderr)
    assert len(toy.trials()) == before
    assert "verdict: trial " in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("hydra.sweeper.race=null",), "hydra.sweeper.budget needs a race"),
    (("hydra.sweeper.seeds_per_trial=2",), "leave seeds_per_trial at 1"),
    (("hydra.sweeper.race.rungs=[0.5,0.9]",), "rungs must be ascending fractions"),
    (("hydra.sweeper.race.confirm_seed_offset=2",), "never selection seeds"),
    (("hydra.sweeper.budget=soon",), "is not a positive time"),
    (("hydra.sweeper.race.eta=1",), "eta must be >= 2"),
])
def test_bad_race_settings_are_one_line(toy: Toy, args: tuple[str, ...], message: str) -> None:
    toy.search = "race"
    result = toy.run(*args)
    assert result.returncode != 0
    assert last_line(result.stderr).startswith("error: ")
    assert message in last_line(result.stderr)
    assert toy.trials() == []


def test_an_unknown_race_key_is_refused_before_any_run(toy: Toy) -> None:
    toy.search = "race"
    result = toy.run("hydra.sweeper.race.colour=red")
    assert result.returncode != 0
    assert "hydra.sweeper.race.colour" in result.stderr
    assert toy.trials() == []


def test_review_shows_the_race_in_the_report_and_the_dashboard_note(toy: Toy) -> None:
    import subprocess
    import sys

    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna_dashboard import get_note

    trials = _race(toy)
    study = optuna.load_study(study_name="toy",
                              storage=JournalStorage(JournalFileBackend(str(toy.journal))))
    record = study.user_attrs["race"]
    by_candidate = {entry["candidate"]: entry for entry in record["candidates"]}
    runs = _assignments(trials)
    # Every run is listed under its candidate, with its seed, steps and value.
    listed = sorted(r["trial"] for entry in record["candidates"] for r in entry["runs"])
    assert listed == sorted(n for n, _ in runs)
    for number, a in runs:
        (row,) = [r for r in by_candidate[a.candidate]["runs"] if r["trial"] == number]
        assert (row["seed"], row["steps"]) == (a.seed, a.steps)
        assert row["value"] == trials[number].value
    dropped = [e for e in record["candidates"] if e["dropped"]]
    assert dropped and all(e["dropped_at_trial"] is not None for e in dropped)
    assert all("paired on seeds" in e["dropped"] for e in dropped)
    confirmed = [e for e in record["candidates"] if e["confirmed"]]
    assert {e["baseline"] for e in confirmed} == {True, False}
    assert record["verdict"].startswith("trial ")
    note = get_note(study)
    assert "**Verdict:** " + record["verdict"] in note
    report = toy.cwd / "report"
    result = subprocess.run([sys.executable, "-m", "sweep.report", "outputs/studies/toy",
                             "--out", str(report)], cwd=toy.cwd, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = (report / "report.md").read_text()
    assert "## Race" in text and f"verdict: {record['verdict']}" in text
    assert f"the race's confirmed winner, candidate {record['verdict'].split()[1]}:" in text
    assert (report / "race.png").stat().st_size > 10_000
    # sweep.export ships the confirmed winner's best full-length run (the toy has no
    # run files, so the one-line error names the run it chose).
    (winner,) = [e for e in confirmed if e["confirmed"]["winner"]]
    full = [r for r in winner["runs"] if r["steps"] == 4 and r["state"] == "done"]
    expected = max(full, key=lambda r: r["value"])["trial"]
    result = subprocess.run([sys.executable, "-m", "sweep.export", "outputs/studies/toy"],
                            cwd=toy.cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert f"/trial_{expected}: " in last_line(result.stderr), result.stderr


def test_a_classic_strategy_gets_the_same_budget_and_confirmation(toy: Toy) -> None:
    # One seed, no rungs, Optuna's median pruner: today's design, with the race's budget
    # and confirmation so that strategies compare on the same footing.
    toy.search = "race"
    result = toy.run("hydra.sweeper.race.rungs=[1.0]", "hydra.sweeper.race.max_seeds=1",
                     "hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=2",
                     "hydra.sweeper.pruner.n_warmup_steps=1",
                     "hydra.sweeper.enqueue=[{x:0.3},{x:0.9},{x:0.8},{x:0.05}]",
                     timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    trials = toy.trials()
    states = {t.number: t.state for t in trials}
    assert states[3] == TrialState.PRUNED  # x=0.05 against two finished trials
    runs = [(n, assignment_of(t)) for n, t in enumerate(trials)]
    assert all(a is not None and (a.seed, a.steps) == (0, 4) for _, a in runs
               if a.role == SEARCH)
    confirm = [n for n, a in runs if a.role == CONFIRM]
    assert len(confirm) == 4 and all(states[n] == TrialState.COMPLETE for n in confirm)
    assert "verdict: trial " in result.stdout



RACE_WITH_TWO_BAD_POINTS = (
    "hydra.sweeper.n_trials=4",
    "hydra.sweeper.enqueue=[{x:0.3},{x:0.95},{x:0.6},{x:0.7},{x:0.8},{x:0.85},{x:0.05},{x:0.06}]",
    "fail_x_values=[0.05,0.06]",
)


def test_a_race_measures_its_failure_rate_against_its_own_trials(toy: Toy) -> None:
    # A race has no trial count: two failures among its 8+ trials are within a quarter,
    # though n_trials=4 (unused by a race) would allow only one.
    toy.search = "race"
    result = toy.run(*RACE_WITH_TWO_BAD_POINTS, "hydra.sweeper.max_failure_rate=0.25",
                     timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    trials = toy.trials()
    assert sorted(t.params["x"] for t in trials if t.state == TrialState.FAIL) == [0.05, 0.06]
    confirmed = [assignment_of(t) for t in trials if t.state == TrialState.COMPLETE]
    assert any(a is not None and a.role == CONFIRM for a in confirmed)


def test_a_race_still_stops_when_too_many_of_its_trials_fail(toy: Toy) -> None:
    toy.search = "race"
    result = toy.run(*RACE_WITH_TWO_BAD_POINTS, "hydra.sweeper.max_failure_rate=0.1",
                     timeout=240)
    assert result.returncode != 0
    assert "max_failure_rate=0.1 of the race's trials=" in last_line(result.stderr)
