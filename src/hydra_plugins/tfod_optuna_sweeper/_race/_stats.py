"""The few statistics a race needs: seed means, a pooled noise estimate, t tests and CIs.

Seeds are the "instances" of the race. Runs are deterministic, so the only noise a
comparison has to see through is the spread between seeds; these functions estimate it
from the runs themselves (the baseline's included), never from an assumed value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def sample_std(values: Sequence[float]) -> float:
    """Standard deviation with n - 1 (0.0 for a single value)."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.sqrt(sum((v - centre) ** 2 for v in values) / (len(values) - 1))


@dataclass(frozen=True)
class Noise:
    """Seed-to-seed spread pooled over every candidate that has two or more seeds."""

    std: float
    #: Degrees of freedom: the sum of (seeds - 1) over those candidates; 0 = unknown.
    df: int


def pooled_noise(groups: Iterable[Sequence[float]]) -> Noise:
    """Pool the within-candidate variance (each candidate's own mean removed)."""
    squares, df = 0.0, 0
    for values in groups:
        if len(values) >= 2:
            centre = mean(values)
            squares += sum((v - centre) ** 2 for v in values)
            df += len(values) - 1
    return Noise(math.sqrt(squares / df) if df else 0.0, df)


def t_quantile(probability: float, df: float) -> float:
    """Student's t quantile (scipy is imported only when a race needs it)."""
    from scipy.stats import t

    return float(t.ppf(probability, df))


def t_cdf(value: float, df: float) -> float:
    from scipy.stats import t

    return float(t.cdf(value, df))


@dataclass(frozen=True)
class Comparison:
    """A challenger against the incumbent on the seeds both have run."""

    seeds: tuple[int, ...]
    #: Mean of challenger - incumbent over those seeds (in the maximised sense).
    delta: float
    se: float
    df: int
    #: One-sided p-value of "the challenger is not worse" (small: it is worse).
    p_worse: float

    def describe(self) -> str:
        return (f"paired on seeds {list(self.seeds)}: delta {self.delta:+.4f}, "
                f"SE {self.se:.4f} (pooled seed noise, df {self.df}), p = {self.p_worse:.3g}")


def compare(challenger: dict[int, float], incumbent: dict[int, float],
            noise: Noise) -> Comparison | None:
    """Challenger vs incumbent on their shared seeds, or None if no test is possible.

    The difference of two independent seed draws has variance 2 sigma^2, sigma from the
    pooled noise; n shared seeds divide it by n. Needs at least one shared seed and a
    noise estimate with at least one degree of freedom.
    """
    shared = tuple(sorted(set(challenger) & set(incumbent)))
    if not shared or noise.df < 1:
        return None
    delta = mean([challenger[s] - incumbent[s] for s in shared])
    se = noise.std * math.sqrt(2.0 / len(shared))
    if se <= 0.0:
        p_worse = 0.0 if delta < 0 else 1.0
    else:
        p_worse = t_cdf(delta / se, noise.df)
    return Comparison(shared, delta, se, noise.df, p_worse)


@dataclass(frozen=True)
class Interval:
    """Welch's confidence interval for mean(a) - mean(b) (unpaired, unequal variances)."""

    delta: float
    low: float
    high: float
    se: float
    df: float
    n_a: int
    n_b: int
    level: float

    @property
    def standard_errors(self) -> float:
        """How many standard errors the difference is from zero."""
        return self.delta / self.se if self.se > 0 else math.inf * (1 if self.delta else 0)


def welch_interval(a: Sequence[float], b: Sequence[float], level: float) -> Interval | None:
    """A two-sided ``level`` interval for mean(a) - mean(b); None below two runs each."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = sample_std(a) ** 2 / len(a), sample_std(b) ** 2 / len(b)
    delta, se = mean(a) - mean(b), math.sqrt(va + vb)
    if se == 0.0:
        return Interval(delta, delta, delta, 0.0, math.inf, len(a), len(b), level)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if va + vb else math.inf
    half = t_quantile(0.5 + level / 2.0, df) * se
    return Interval(delta, delta - half, delta + half, se, df, len(a), len(b), level)
