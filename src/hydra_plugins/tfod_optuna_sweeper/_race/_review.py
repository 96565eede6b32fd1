"""The race as a record for review: stored on the study for ``sweep.report``, and as the
study's note in optuna-dashboard.

The record is plain JSON (study user attr ``race``), so the report reads it without
importing the sweeper: per candidate, the runs it got (seed, steps, value), when and by
which test it was dropped, and its confirmation against the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optuna.trial import FrozenTrial

from hydra_plugins.tfod_optuna_sweeper._race._budget import CostModel
from hydra_plugins.tfod_optuna_sweeper._race._config import RaceSetup
from hydra_plugins.tfod_optuna_sweeper._race._model import Run, RunState
from hydra_plugins.tfod_optuna_sweeper._race._plan import Race, confirmation_of
from hydra_plugins.tfod_optuna_sweeper._race._trials import all_runs
from hydra_plugins.tfod_optuna_sweeper._race._verdict import verdict
from tfod_sweep.review.race import confirmed_cell, dropped_cell, runs_cell

RECORD = "race"
"""Study user attr holding the record."""


def _dropped_at(runs: Sequence[Run], candidate: int) -> int | None:
    """The first trial whose assignment lists the candidate as dropped."""
    return next((r.trial for r in runs if candidate in r.assignment.dropped), None)


def race_record(trials: Sequence[FrozenTrial], setup: RaceSetup, sign: float) -> dict[str, Any]:
    """Everything the review shows of the race, in the objective's own sense."""
    runs = all_runs(trials, sign)
    settings = setup.settings
    params = {t.number: dict(t.params) for t in trials}
    confirm_set = confirmation_of(runs)
    result = verdict(runs, confirm_set, len(settings.confirm_seeds), sign=sign) \
        if confirm_set else None
    confirmed = {c.candidate: c for c in result.confirmed} if result else {}
    dropped = Race(runs, setup.settings).dropped
    candidates = []
    for candidate in sorted({r.assignment.candidate for r in runs}):
        own = [r for r in runs if r.assignment.candidate == candidate]
        entry: dict[str, Any] = {
            "candidate": candidate,
            "baseline": any(r.assignment.baseline for r in own),
            "params": params.get(candidate, {}),
            "runs": [{"trial": r.trial, "seed": r.assignment.seed, "steps": r.assignment.steps,
                      "start": r.assignment.start, "role": r.assignment.role,
                      "state": r.state.value, "reason": r.assignment.reason,
                      "value": None if r.value is None else sign * r.value} for r in own],
            "dropped": dropped.get(candidate),
            "dropped_at_trial": _dropped_at(runs, candidate),
            "failed": any(r.state == RunState.FAILED for r in own),
            "confirmed": None,
        }
        item = confirmed.get(candidate)
        if item is not None and item.values:
            interval = item.interval
            entry["confirmed"] = {
                "mean": sign * item.mean, "std": item.std, "n": len(item.values),
                "failed_seeds": list(item.failed_seeds),
                "winner": result is not None and result.winner is not None
                and result.winner.candidate == candidate,
                **({} if interval is None else {
                    "delta": sign * interval.delta, "level": interval.level,
                    "low": min(sign * interval.low, sign * interval.high),
                    "high": max(sign * interval.low, sign * interval.high),
                    "standard_errors": interval.standard_errors})}
        candidates.append(entry)
    spent = CostModel.learn(setup.budget, runs).spent(runs)
    return {
        "verdict": result.text if result else "none yet (the confirmation has not started)",
        "complete": bool(result and result.complete),
        "budget": setup.budget.describe(), "spent": setup.budget.describe(spent),
        "rungs": list(settings.rungs), "seeds": list(settings.seeds),
        "confirm_seeds": list(settings.confirm_seeds),
        "candidates": candidates,
    }


def race_note(record: dict[str, Any]) -> str:
    """The record as the markdown note optuna-dashboard shows on the study's page."""
    lines = ["## Race", "", f"**Verdict:** {record['verdict']}", "",
             f"Budget {record['budget']}, spent {record['spent']}; rungs at steps "
             f"{record['rungs']}; selection seeds {record['seeds']}, confirmation seeds "
             f"{record['confirm_seeds']}.", "",
             "| trial | runs (seed@steps: value) | dropped | confirmed |", "|---|---|---|---|"]
    for entry in record["candidates"]:
        name = f"{entry['candidate']}" + (" (baseline)" if entry["baseline"] else "")
        lines.append(f"| {name} | {runs_cell(entry)} | {dropped_cell(entry)} | "
                     f"{confirmed_cell(entry['confirmed'])} |")
    return "\n".join(lines) + "\n"

