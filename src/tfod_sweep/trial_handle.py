"""What a run needs from the study trial it may belong to, as a Protocol: a trial handle.

The library never imports the sweeper plugin: the app opens the trial's handle (the
plugin's `open_trial_reporter`, or None outside a study) and hands it in as `reporter`.
Anything with these members works, which also keeps tests free to pass their own.
Named a handle, not a reporter, so "report" keeps one meaning: the review folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class TrialHandle(Protocol):
    """One study trial, seen from the run that trains it."""

    #: How many seeds the trial averages over (train.seed, +1, ...).
    seeds_per_trial: int
    #: True for a point the study enqueued (its baseline), not one the sampler drew.
    enqueued: bool

    @property
    def number(self) -> int: ...

    @property
    def study_name(self) -> str: ...

    @property
    def params(self) -> dict[str, Any]: ...

    def report(self, value: float, step: int, may_prune: bool = True) -> None:
        """Record an intermediate value; raise the pruner's exception to stop the run."""

    def set_user_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Attach this run's results to the trial."""

    def set_trial_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Attach results that speak for the whole trial (e.g. the per-seed summary)."""

    def for_later_seed(self) -> TrialHandle:
        """The handle for the trial's second and later seeds (no curve, no pruning)."""
