"""A budget the user thinks in: wall-clock time (``90m``), train steps, or runs.

The race plans against it: a search run is started only while that run plus the whole
confirmation stage still fit, so the study ends on its own, confirmation included.
Time is the study's busy time: the union of its runs' intervals, so a resumed study does
not count the hours it sat idle. How many runs share that time (the local workers, other
machines, SLURM jobs) is measured the same way, as summed run time over busy time, so
every worker of the study, whatever its own ``n_jobs``, prices a run alike.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM, Run, RunState

SECONDS, STEPS, RUNS = "seconds", "steps", "runs"
_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Budget:
    kind: str
    amount: float

    def describe(self, value: float | None = None) -> str:
        amount = self.amount if value is None else value
        if self.kind == SECONDS:
            return f"{amount / 60.0:.1f} min"
        return f"{amount:,.0f} {self.kind}"


def parse_budget(text: object) -> Budget:
    """``90m``, ``1.5h``, ``5400s``, ``20000 steps`` or ``12 runs``; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|steps?|runs?)\s*", str(text))
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(
            f"budget {text!r} is not a positive time (90m, 1.5h, 5400s), train steps "
            "(20000 steps) or runs (12 runs)"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit in _UNITS:
        return Budget(SECONDS, number * _UNITS[unit])
    return Budget(STEPS if unit.startswith("step") else RUNS, number)


@dataclass(frozen=True)
class CostModel:
    """What a run costs in the budget's unit, learnt from the finished runs."""

    budget: Budget
    #: Runs going on at once, measured over the finished runs (1 until two have run).
    concurrency: float = 1.0
    #: Median seconds per trained step, and per-run seconds outside training.
    per_step: float | None = None
    overhead: float | None = None

    @classmethod
    def learn(cls, budget: Budget, runs: Sequence[Run]) -> CostModel:
        spans = _spans(runs)
        busy = busy_seconds(spans)
        concurrency = max(1.0, sum(end - start for start, end in spans) / busy) if busy else 1.0
        # From-scratch runs only: a resumed run's train_seconds includes the earlier part.
        timed = [r for r in runs if r.state == RunState.DONE and r.seconds
                 and r.assignment.start == 0 and r.assignment.steps > 0]
        if not timed:
            return cls(budget, concurrency)
        # A job that does not say how long it trained counts as all training, no overhead.
        trained = [r.train_seconds if r.train_seconds is not None else r.seconds
                   for r in timed]
        per_step = statistics.median(
            t / r.assignment.steps for t, r in zip(trained, timed, strict=True))  # type: ignore[operator]
        overhead = statistics.median(
            max(0.0, r.seconds - t) for t, r in zip(trained, timed, strict=True))  # type: ignore[operator]
        return cls(budget, concurrency, per_step, overhead)

    def run_cost(self, trained_steps: int, role: str) -> float | None:
        """One run's cost; None when time is the unit and nothing has been timed yet."""
        if self.budget.kind == STEPS:
            return float(trained_steps)
        if self.budget.kind == RUNS:
            return 0.0 if role == CONFIRM else 1.0
        if self.per_step is None or self.overhead is None:
            return None
        return (self.overhead + self.per_step * trained_steps) / self.concurrency

    def spent(self, runs: Sequence[Run]) -> float:
        """What the study has used: finished runs as measured, running ones as estimated."""
        if self.budget.kind == SECONDS:
            pending = [r for r in runs if r.state == RunState.PENDING]
            return busy_seconds(_spans(runs)) + sum(
                self.run_cost(r.trained_steps, r.assignment.role) or 0.0 for r in pending)
        return sum(self.run_cost(r.trained_steps, r.assignment.role) or 0.0 for r in runs)


def _spans(runs: Sequence[Run]) -> list[tuple[float, float]]:
    """(start, end) of every finished run that was timed."""
    return [(r.started, r.started + r.seconds) for r in runs
            if r.state != RunState.PENDING and r.started is not None and r.seconds is not None]


def busy_seconds(spans: Sequence[tuple[float, float]]) -> float:
    """Seconds during which at least one of the spans was running."""
    total, reached = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total
