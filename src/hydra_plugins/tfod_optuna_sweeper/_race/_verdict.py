"""The study's answer, built only from its confirmation runs (fresh seeds, full length).

Selection picked the candidates on the seeds it raced them on, so their selection means
are biased upwards (the winner's curse); only runs on seeds no decision used can say
whether a setting beats the baseline. Each confirmed candidate is compared with the
baseline by Welch's interval; with several candidates the level is Bonferroni-corrected,
so "beats the baseline" holds for the family, not just for the luckiest comparison.

A confirmation run that crashed for good (a loss that diverged) is an outcome, not a gap:
a setting that fails on a fresh seed is not certified, and the verdict says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM, Run, RunState
from hydra_plugins.tfod_optuna_sweeper._race._stats import (
    Interval,
    mean,
    sample_std,
    welch_interval,
)


@dataclass(frozen=True)
class Confirmed:
    """One candidate's confirmation: its fresh-seed values and its interval vs the baseline."""

    candidate: int
    values: dict[int, float]
    baseline: bool
    interval: Interval | None = None
    #: Fresh seeds on which its run crashed for good (e.g. the loss diverged).
    failed_seeds: tuple[int, ...] = ()

    @property
    def mean(self) -> float:
        return mean(list(self.values.values()))

    @property
    def std(self) -> float:
        return sample_std(list(self.values.values()))

    @property
    def beats_baseline(self) -> bool:
        return self.interval is not None and self.interval.low > 0.0 and not self.failed_seeds


@dataclass(frozen=True)
class Verdict:
    confirmed: tuple[Confirmed, ...]
    winner: Confirmed | None
    text: str
    #: True once every confirmation run has finished.
    complete: bool


def _values(runs: Sequence[Run], candidate: int) -> dict[int, float]:
    return {r.assignment.seed: float(r.value) for r in runs
            if r.assignment.role == CONFIRM and r.assignment.candidate == candidate
            and r.state == RunState.DONE and r.value is not None}


def _failed(runs: Sequence[Run], candidate: int) -> tuple[int, ...]:
    return tuple(sorted(r.assignment.seed for r in runs
                        if r.assignment.role == CONFIRM and r.assignment.candidate == candidate
                        and r.state == RunState.FAILED))


def verdict(runs: Sequence[Run], confirm_set: Sequence[int], expected_seeds: int,
            level: float = 0.95, sign: float = 1.0) -> Verdict:
    """Compare each confirmed candidate with the baseline (the last of ``confirm_set``).

    ``sign`` is -1 for a minimised objective: values arrive negated (maximised) and are
    shown in their own sense.
    """
    baseline_id = next((r.assignment.candidate for r in runs
                        if r.assignment.baseline and r.assignment.role == CONFIRM), None)
    base = _values(runs, baseline_id) if baseline_id is not None else {}
    others = [c for c in confirm_set if c != baseline_id]
    corrected = 1.0 - (1.0 - level) / max(1, len(others))
    confirmed = []
    for candidate in others:
        values = _values(runs, candidate)
        interval = welch_interval(list(values.values()), list(base.values()), corrected)
        confirmed.append(Confirmed(candidate, values, False, interval, _failed(runs, candidate)))
    if baseline_id is not None:
        confirmed.append(Confirmed(baseline_id, base, True, None, _failed(runs, baseline_id)))
    complete = all(len(c.values) + len(c.failed_seeds) >= expected_seeds for c in confirmed)
    winners = sorted((c for c in confirmed if c.beats_baseline), key=lambda c: -c.mean)
    winner = winners[0] if winners else None
    return Verdict(tuple(confirmed), winner, _text(confirmed, winner, base, complete, corrected,
                                                   sign), complete)


def _shown(value: float, sign: float) -> float:
    return value * sign


def _text(confirmed: Sequence[Confirmed], winner: Confirmed | None, base: dict[int, float],
          complete: bool, level: float, sign: float) -> str:
    if not base:
        return "no verdict: the baseline has no confirmation runs"
    if not complete:
        return "no verdict yet: the confirmation runs are not all finished (re-run to resume)"
    crashed = "".join(
        f"; trial {c.candidate} crashed on fresh seed(s) "
        f"{', '.join(map(str, c.failed_seeds))}, so it is not certified"
        for c in confirmed if c.failed_seeds and not c.baseline)
    if winner is None:
        return "no setting beats the baseline beyond the seed noise" + crashed
    interval = winner.interval
    assert interval is not None
    low, high = sorted((_shown(interval.low, sign), _shown(interval.high, sign)))
    return (f"trial {winner.candidate} beats the baseline by {_shown(interval.delta, sign):+.4f} "
            f"({level:.1%} CI [{low:.4f}, {high:.4f}], n = {interval.n_a} + {interval.n_b}, "
            f"{interval.standard_errors:.1f} standard errors)")
