"""The noise floor statistic: difference of seed means vs twice its Welch standard error."""

from __future__ import annotations

import math

import pytest

from tfod_sweep.review.seed_stats import SeedStats, compare


def test_stats_of_several_seeds():
    stats = SeedStats((0.4, 0.5, 0.6))
    assert stats.n == 3 and stats.mean == pytest.approx(0.5)
    assert stats.std == pytest.approx(0.1)
    assert stats.describe() == "0.500 ± 0.100 (n=3)"


def test_one_seed_has_no_std():
    assert SeedStats((0.4,)).std is None
    assert SeedStats((0.4,)).describe() == "0.400 (n=1)"


def test_compare_uses_the_welch_standard_error():
    result = compare(SeedStats((0.5, 0.6, 0.7)), SeedStats((0.2, 0.3)))
    expected = math.sqrt(0.1**2 / 3 + 0.0707106781**2 / 2)
    assert result.difference == pytest.approx(0.35)
    assert result.standard_error == pytest.approx(expected)
    assert result.exceeds_noise is True


def test_a_gap_inside_the_noise_does_not_count():
    result = compare(SeedStats((0.5, 0.3, 0.4)), SeedStats((0.35, 0.45, 0.25)))
    assert result.exceeds_noise is False


def test_one_seed_on_either_side_is_unknown():
    assert compare(SeedStats((0.9,)), SeedStats((0.1, 0.2))).exceeds_noise is None


def test_best_vs_baseline_follows_the_direction():
    from tfod_sweep.review.seed_stats import TrialSeeds, best_vs_baseline

    trials = [TrialSeeds(0, True, SeedStats((0.3, 0.31))),
              TrialSeeds(1, False, SeedStats((0.5, 0.52)))]
    assert best_vs_baseline(trials).startswith("best trial 1:")
    assert "is the best" in best_vs_baseline(trials, maximize=False)
    assert best_vs_baseline([]) is None
