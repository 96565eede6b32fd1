"""Seed statistics and the noise floor: is a winner better by more than seed-to-seed noise?

One training run from scratch is a sample. A setting beats another only when the gap
between their seed means exceeds what re-seeding alone moves. We use the plainest test
that says so: the difference of the means against twice its standard error, with the
standard error taken per group as in Welch's t-test (no equal-variance assumption).
Stays TF-free: the report and the sweeper summary both use it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

STATISTIC = "difference of seed means vs 2 x its standard error (Welch)"


@dataclass(frozen=True)
class SeedStats:
    """Values of one configuration over its seeds."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float | None:
        """Sample standard deviation; None with a single seed (it says nothing about noise)."""
        return statistics.stdev(self.values) if self.n > 1 else None

    def describe(self, digits: int = 3) -> str:
        """``0.512 ± 0.031 (n=3)``, or ``0.512 (n=1)`` for one seed."""
        if self.std is None:
            return f"{self.mean:.{digits}f} (n=1)"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f} (n={self.n})"


@dataclass(frozen=True)
class NoiseComparison:
    """A candidate against a baseline; `exceeds_noise` is None when it cannot be known."""

    difference: float
    standard_error: float | None
    exceeds_noise: bool | None


def compare(candidate: SeedStats, baseline: SeedStats) -> NoiseComparison:
    """Difference of means and whether it exceeds 2 standard errors of that difference."""
    difference = candidate.mean - baseline.mean
    if candidate.std is None or baseline.std is None:
        return NoiseComparison(difference, None, None)
    error = math.sqrt(candidate.std**2 / candidate.n + baseline.std**2 / baseline.n)
    return NoiseComparison(difference, error, abs(difference) > 2 * error)


def noise_verdict(candidate_name: str, candidate: SeedStats,
                  baseline_name: str, baseline: SeedStats) -> str:
    """Two lines for a human: both means, the gap, and whether it is beyond the noise."""
    result = compare(candidate, baseline)
    lines = [f"{candidate_name}: {candidate.describe()} vs {baseline_name}: "
             f"{baseline.describe()}; difference {result.difference:+.3f}"]
    if result.exceeds_noise is None:
        lines.append(
            "noise: unknown, one seed per trial (set hydra.sweeper.seeds_per_trial=3 to "
            "measure it)")
    else:
        assert result.standard_error is not None
        verdict = "exceeds" if result.exceeds_noise else "does NOT exceed"
        lines.append(
            f"noise: the difference {verdict} 2 x standard error "
            f"({2 * result.standard_error:.3f}); statistic: {STATISTIC}")
    return "\n".join(lines)


@dataclass(frozen=True)
class TrialSeeds:
    """One study trial as the noise floor sees it."""

    number: int
    enqueued: bool  # a point the study enqueued (its baseline), not one the sampler drew
    stats: SeedStats


def best_vs_baseline(trials: Sequence[TrialSeeds], maximize: bool = True) -> str | None:
    """The best trial against the study's baseline (its first enqueued point), vs the noise.

    The one place this comparison is made: the sweeper's summary reads the trials from
    the storage, the report from metrics.json files, and both hand them here.
    """
    if not trials:
        return None
    sign = 1.0 if maximize else -1.0
    best = max(trials, key=lambda t: sign * t.stats.mean)
    enqueued = [t for t in trials if t.enqueued]
    if not enqueued:
        return "baseline: no enqueued point finished, so the best trial is not compared"
    baseline = min(enqueued, key=lambda t: t.number)
    if baseline.number == best.number:
        return f"baseline: trial {baseline.number} (the first enqueued point) is the best"
    return noise_verdict(f"best trial {best.number}", best.stats,
                         f"baseline trial {baseline.number}", baseline.stats)


def mean_and_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Convenience for attrs: (mean, sample std or None)."""
    stats = SeedStats(tuple(values))
    return stats.mean, stats.std
