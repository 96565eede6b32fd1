"""What a race is made of: candidates (points), their runs (point, seed, steps), settings.

A *candidate* is one point of the search space; its id is the number of the trial that
first ran it. A *run* is one Optuna trial: the candidate trained with one seed under the
full-length schedule and evaluated at ``steps`` (a rung), possibly continuing the same
seed's checkpoint from an earlier rung (``start``). Runs are deterministic, so a
(candidate, seed, steps) triple is a fact and is never trained twice in one study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

SEARCH = "search"
CONFIRM = "confirm"


@dataclass(frozen=True)
class Assignment:
    """What one trial trains: stored on the trial (user attr ``race``) before it runs."""

    candidate: int
    seed: int
    #: The step the run stops and is evaluated at: its value is the metric there.
    steps: int
    #: The step it continues from (0: from scratch).
    start: int = 0
    role: str = SEARCH
    #: Trial whose run dir holds this seed's checkpoint at ``start``.
    resume_trial: int | None = None
    baseline: bool = False
    #: Why this run was chosen (new point, promotion, paired seed, incumbent seed, ...).
    reason: str = ""
    #: Candidates dropped so far, with the test that dropped each (cumulative).
    dropped: dict[int, str] = field(default_factory=dict)
    #: On the first confirmation run: the candidates confirmed, baseline last.
    confirm_set: tuple[int, ...] = ()

    def key(self) -> tuple[int, int, int]:
        """The (candidate, seed, steps) triple this run establishes."""
        return (self.candidate, self.seed, self.steps)

    def to_attr(self) -> dict[str, Any]:
        out = asdict(self)
        out["dropped"] = {str(k): v for k, v in self.dropped.items()}
        out["confirm_set"] = list(self.confirm_set)
        return out

    @classmethod
    def from_attr(cls, attr: Mapping[str, Any]) -> Assignment:
        values = dict(attr)
        values["dropped"] = {int(k): str(v) for k, v in (values.get("dropped") or {}).items()}
        values["confirm_set"] = tuple(int(c) for c in values.get("confirm_set") or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


class RunState(Enum):
    DONE = "done"          # finished and visible to this decision
    PENDING = "pending"    # assigned, result not (yet) visible: never assign it again
    FAILED = "failed"      # crashed for good: the candidate leaves the race
    PRUNED = "pruned"      # stopped by an Optuna pruner: the candidate goes no further


@dataclass(frozen=True)
class Run:
    """One trial's assignment and, once visible, its value (in the maximised sense)."""

    trial: int
    assignment: Assignment
    state: RunState
    value: float | None = None
    #: Intermediate values by step (the run's evaluations before ``steps``).
    curve: Mapping[int, float] = field(default_factory=dict)

    @property
    def trained_steps(self) -> int:
        """Steps this run trained: to its rung, or to where a pruner stopped it."""
        end = self.assignment.steps
        if self.state == RunState.PRUNED and self.curve:
            end = max(self.curve)
        return max(0, end - self.assignment.start)
    #: Wall seconds of the trial and seconds spent in training steps (cost model).
    seconds: float | None = None
    train_seconds: float | None = None
    #: When the trial started (POSIX seconds): the study's busy time and concurrency.
    started: float | None = None


@dataclass(frozen=True)
class RaceSettings:
    """The race's shape; see ``conf`` docs of ``hydra.sweeper.race``."""

    #: Evaluation steps, ascending; the last is the full length (all under one schedule).
    rungs: tuple[int, ...]
    #: Selection seeds in the order candidates get them; confirmation seeds are disjoint.
    seeds: tuple[int, ...]
    confirm_seeds: tuple[int, ...]
    #: Successive halving: the best 1/eta of a rung move up.
    eta: int = 3
    #: Drop a candidate when it is worse than the incumbent at this one-sided level.
    alpha: float = 0.05
    #: A challenger whose deficit has a one-sided p below this earns no seed for now.
    promising: float = 0.25
    #: ``mean`` or ``lcb`` (mean - lcb_z * SE): how candidates are ranked.
    objective: str = "mean"
    lcb_z: float = 1.0
    confirm_top_k: int = 2
    #: Two-sided level of the confirmation's intervals (Bonferroni over the confirmed).
    confirm_level: float = 0.95

    @property
    def full(self) -> int:
        return self.rungs[-1]
