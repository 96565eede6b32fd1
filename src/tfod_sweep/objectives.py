"""What a run returns to a sweeper: one metric, or a tuple of several (TF-free).

``optimized_metric`` is one metric name (a single-objective study) or a list of them (a
multi-objective one, e.g. mAP@.50 and Latency/median_ms). Both shapes meet here, so the
runner, the seed averaging and metrics.json treat them alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfod_sweep.errors import ConfigError
from tfod_sweep.metric_names import COCO_METRICS
from tfod_sweep.review.seed_stats import mean_and_std

#: A run's result for the sweeper: a float, or a tuple with one float per metric.
Objective = float | tuple[float, ...]


def objective_metrics(optimized_metric: Any) -> list[str]:
    """``optimized_metric`` as a list of names (one for a plain string)."""
    if isinstance(optimized_metric, str):
        return [optimized_metric]
    return [str(name) for name in optimized_metric]


def is_multi_objective(optimized_metric: Any) -> bool:
    """A list (even of one name) makes the run return a tuple, as the study expects."""
    return not isinstance(optimized_metric, str)


def curve_metric(metrics: Sequence[str]) -> str:
    """The metric reported at every evaluation: the first objective the eval computes.

    Latency and size are measured once, at the end, so they have no learning curve;
    a study over those alone still shows mAP@.50 per evaluation.
    """
    return next((name for name in metrics if name in COCO_METRICS), COCO_METRICS[1])


def objective_value(optimized_metric: Any, measured: Mapping[str, Any]) -> Objective:
    """The run's result: the metric's value, or the tuple of the listed metrics' values.

    Raises:
        ConfigError: a listed metric was not measured (e.g. latency with
            eval.latency_images=0, or FLOPs the profiler could not count).
    """
    values = []
    for name in objective_metrics(optimized_metric):
        value = measured.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"optimized_metric {name!r} was not measured by this run "
                              f"(got {value!r})")
        values.append(float(value))
    return tuple(values) if is_multi_objective(optimized_metric) else values[0]


def seed_summary(seeds: Sequence[int], values: Sequence[Objective]) -> tuple[Objective,
                                                                              dict[str, Any]]:
    """The mean over seeds (per objective for tuples) and the trial's user attributes.

    One objective keeps the attrs it always had (``value_per_seed``, ``value_mean``,
    ``value_std``); several get ``values_per_seed`` (one list per seed) and per-objective
    ``values_mean`` / ``values_std``.
    """
    base: dict[str, Any] = {"seeds": list(seeds), "n_seeds": len(values)}
    if not values or not isinstance(values[0], tuple):
        numbers = [float(v) for v in values]  # type: ignore[arg-type]
        mean, std = mean_and_std(numbers)
        return mean, {**base, "value_per_seed": numbers, "value_mean": mean, "value_std": std}
    columns = list(zip(*values, strict=True))  # type: ignore[misc]
    stats = [mean_and_std([float(v) for v in column]) for column in columns]
    means = tuple(mean for mean, _ in stats)
    return means, {**base, "values_per_seed": [list(v) for v in values],  # type: ignore[arg-type]
                   "values_mean": list(means), "values_std": [std for _, std in stats]}
