"""The race's lines in the end-of-sweep summary: what it trained, spent and concluded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from optuna.trial import FrozenTrial

from hydra_plugins.tfod_optuna_sweeper._race._budget import CostModel
from hydra_plugins.tfod_optuna_sweeper._race._config import RaceSetup
from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM, SEARCH, RunState
from hydra_plugins.tfod_optuna_sweeper._race._plan import Race
from hydra_plugins.tfod_optuna_sweeper._race._trials import all_runs
from hydra_plugins.tfod_optuna_sweeper._race._verdict import verdict


def race_lines(trials: Sequence[FrozenTrial], setup: RaceSetup, sign: float,
               workers: int) -> list[str]:
    runs = all_runs(trials, sign)
    if not runs:
        return ["race: no run yet"]
    settings = setup.settings
    done = [r for r in runs if r.state == RunState.DONE]
    per_rung = Counter(r.assignment.steps for r in done if r.assignment.role == SEARCH)
    rungs = ", ".join(f"{per_rung[s]} at step {s}" for s in settings.rungs)
    confirm = sum(1 for r in done if r.assignment.role == CONFIRM)
    candidates = len({r.assignment.candidate for r in runs})
    spent = CostModel.learn(setup.budget, workers, runs).spent(runs)
    lines = [f"race: {candidates} points; selection runs {rungs}; confirmation runs "
             f"{confirm}; spent {setup.budget.describe(spent)} of {setup.budget.describe()}"]
    dropped = Race(runs, setup.settings).dropped
    if dropped:
        lines.append(f"dropped: {', '.join(f'trial {c}' for c in sorted(dropped))}")
    confirm_set = next((r.assignment.confirm_set for r in runs if r.assignment.confirm_set), ())
    if not confirm_set:
        lines.append("verdict: none yet (the confirmation has not started)")
        return lines
    result = verdict(runs, confirm_set, len(settings.confirm_seeds),
                     sign=sign)
    params = {t.number: t.params for t in trials}
    for item in result.confirmed:
        role = "baseline" if item.baseline else "candidate"
        values = ", ".join(f"{sign * v:.4f}" for v in item.values.values()) or "none yet"
        lines.append(f"  confirmed {role} trial {item.candidate}: {sign * item.mean:.4f} "
                     f"± {item.std:.4f} on fresh seeds ({values}); "
                     f"params {params.get(item.candidate, {})}" if item.values else
                     f"  confirmed {role} trial {item.candidate}: no finished run yet")
    lines.append(f"verdict: {result.text}")
    return lines
