"""A study's trials as report rows: the storage says what happened, run dirs add evidence.

The storage is the source of truth for a study: which trials exist, their state,
parameters, value, learning curve and fail reason, also for trials whose run dir is gone
or on another machine. A trial's metrics.json files (one per seed) add what the storage
keeps only for the first seed, so a seeded trial's metrics become mean ± std (n).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from tfod_sweep.metric_names import COCO_METRICS
from tfod_sweep.registry import all_loss_components, run_arch
from tfod_sweep.review.logbook import merge_seeds
from tfod_sweep.review.seed_stats import SeedStats, TrialSeeds, best_vs_baseline
from tfod_sweep.run_metrics import FILE_NAME, RunMetrics

# Trial attribute names written by the sweeper (hydra_plugins.tfod_optuna_sweeper._attrs).
# The library may not import the plugin; tests/report checks that the names agree.
FAIL_REASON = "fail_reason"
INTERRUPTED = "interrupted"
DISCARDED = "discarded"
#: Optuna's own system attribute on a trial made by `enqueue_trial`: the study's baselines.
ENQUEUED = "fixed_params"
#: A multi-objective trial's learning curve, {"<step>": value} (Optuna keeps none there).
INTERMEDIATE_VALUES = "intermediate_values"
#: A multi-objective trial's objective values per seed, one list per seed.
VALUES_PER_SEED = "values_per_seed"

_METRIC_KEYS = tuple(dict.fromkeys((*COCO_METRICS, *all_loss_components())))


@dataclass(frozen=True)
class TrialRow:
    """One trial as the report shows it."""

    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    #: The objective per seed of a COMPLETE trial (one value without seeds).
    seed_values: tuple[float, ...]
    #: (step, value) of every intermediate value: mAP@.50 per evaluation.
    curve: tuple[tuple[int, float], ...]
    steps: int | None
    enqueued: bool
    #: What the state does not say: the fail reason, where the pruner cut, ...
    note: str
    #: The run dir of the trial's first seed (per-class AP, preview.png), if found.
    run_dir: Path | None
    #: A metrics.json-shaped mapping for the logbook tables.
    metrics: dict[str, Any]
    #: A COMPLETE trial's objectives, each as its values per seed (one value without
    #: seeds): one entry for a single-objective study, whose `seed_values` it is.
    objective_seeds: tuple[tuple[float, ...], ...] = ()

    @property
    def name(self) -> str:
        return f"trial_{self.number}"


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _trial_dir(trial: FrozenTrial, study_dir: Path | None) -> Path | None:
    """Where the trial ran: its `run_dir` attribute, else `<study dir>/trial_<n>`."""
    recorded = trial.user_attrs.get("run_dir")
    if isinstance(recorded, str) and Path(recorded).is_dir():
        path = Path(recorded)
        return path.parent if path.name.startswith("seed_") else path
    if study_dir is not None and (study_dir / f"trial_{trial.number}").is_dir():
        return study_dir / f"trial_{trial.number}"
    return None


def _run_dirs(trial_dir: Path) -> list[Path]:
    """The trial's run dirs holding a metrics.json: itself, or its seed_<s>/ folders."""
    if (trial_dir / FILE_NAME).is_file():
        return [trial_dir]
    seeds = [p for p in trial_dir.glob("seed_*") if (p / FILE_NAME).is_file()]
    return sorted(seeds, key=_natural_key)


def _finished_records(run_dirs: list[Path]) -> list[dict[str, Any]]:
    records = []
    for run_dir in run_dirs:
        try:
            record = RunMetrics.load(run_dir)
        except (OSError, ValueError):  # cut short by a crash, or not ours: the storage speaks
            continue
        if record.finished:
            records.append(record.to_dict())
    return records


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _metrics_from_attrs(trial: FrozenTrial, name: str) -> dict[str, Any]:
    """The logbook row the storage holds: the first seed's last evaluation."""
    attrs = trial.user_attrs
    final = {key: attrs[key] for key in _METRIC_KEYS if _number(attrs.get(key)) is not None}
    return {"name": name, "arch": run_arch({"final": final}), "final": final,
            "steps": attrs.get("steps"), "train_seconds": _number(attrs.get("train_seconds")),
            "num_classes": None}


def _note(trial: FrozenTrial, curve: tuple[tuple[int, float], ...]) -> str:
    attrs, state = trial.user_attrs, trial.state
    last = f"step {curve[-1][0]} ({curve[-1][1]:.4f})" if curve else None
    if state == TrialState.PRUNED:
        note = f"pruned at {last}" if last else "pruned before its first evaluation"
    elif state == TrialState.FAIL:
        note = str(attrs.get(FAIL_REASON) or "no fail_reason recorded")
        if attrs.get(INTERRUPTED):
            note += " (interrupted)"
        if attrs.get(DISCARDED):
            note += " (discarded: created past n_trials)"
    elif state == TrialState.RUNNING:
        note = f"running, last evaluation at {last}" if last else "running, no evaluation yet"
    elif state == TrialState.WAITING:
        note = "waiting to start"
    else:
        note = ""
    return note


def _curve(trial: FrozenTrial) -> tuple[tuple[int, float], ...]:
    """(step, value) per evaluation: Optuna's intermediate values, or the user attr that
    stands in for them in a multi-objective study."""
    points = dict(trial.intermediate_values)
    recorded = trial.user_attrs.get(INTERMEDIATE_VALUES)
    if not points and isinstance(recorded, dict):
        for step, value in recorded.items():
            number = _number(value)
            if str(step).isdigit() and number is not None:
                points[int(step)] = number
    return tuple(sorted((int(step), float(value)) for step, value in points.items()))


def _objective_seeds(trial: FrozenTrial) -> tuple[tuple[float, ...], ...]:
    """Each objective's values per seed (from the seed attrs), else the stored values."""
    if trial.state != TrialState.COMPLETE or trial.values is None:
        return ()
    count = len(trial.values)
    per_seed = trial.user_attrs.get("value_per_seed" if count == 1 else VALUES_PER_SEED)
    if isinstance(per_seed, list) and per_seed:
        rows = [row if count > 1 else [row] for row in per_seed]
        numbers = [[_number(v) for v in row] if isinstance(row, list) else [] for row in rows]
        if all(len(row) == count and None not in row for row in numbers):
            return tuple(tuple(float(row[i]) for row in numbers)  # type: ignore[arg-type]
                         for i in range(count))
    return tuple((float(value),) for value in trial.values)


def trial_row(trial: FrozenTrial, study_dir: Path | None) -> TrialRow:
    """One trial from the storage, with its run dir's metrics.json files when they exist."""
    name = f"trial_{trial.number}"
    curve = _curve(trial)
    trial_dir = _trial_dir(trial, study_dir)
    run_dirs = _run_dirs(trial_dir) if trial_dir is not None else []
    records = _finished_records(run_dirs)
    metrics = merge_seeds(records, name) if records else _metrics_from_attrs(trial, name)
    objective_seeds = _objective_seeds(trial)
    steps = trial.user_attrs.get("steps")
    if not isinstance(steps, int):
        steps = metrics.get("steps") or (curve[-1][0] if curve else None)
    if metrics.get("steps") is None:  # the storage knows where the curve stopped
        metrics["steps"] = steps
    params = dict(trial.params)
    if trial.state == TrialState.WAITING:  # not drawn yet: an enqueued point shows its values
        params = dict(trial.system_attrs.get(ENQUEUED) or {})
    return TrialRow(
        number=trial.number, state=trial.state.name, params=params,
        value=float(trial.values[0]) if objective_seeds else None,
        seed_values=objective_seeds[0] if objective_seeds else (), curve=curve, steps=steps,
        enqueued=ENQUEUED in trial.system_attrs, note=_note(trial, curve),
        run_dir=run_dirs[0] if run_dirs else trial_dir, metrics=metrics,
        objective_seeds=objective_seeds,
    )


def trial_rows(study: optuna.Study, study_dir: Path | None = None) -> list[TrialRow]:
    """Every trial of the study, by number, whatever its state."""
    trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
    return [trial_row(trial, study_dir) for trial in trials]


def best_row(rows: list[TrialRow], maximize: bool) -> TrialRow | None:
    """The COMPLETE trial with the best mean over its seeds."""
    complete = [row for row in rows if row.seed_values]
    if not complete:
        return None
    sign = 1.0 if maximize else -1.0
    return max(complete, key=lambda row: sign * SeedStats(row.seed_values).mean)


def verdict(rows: list[TrialRow], maximize: bool) -> str | None:
    """The best trial against the first enqueued point, against the seed noise."""
    trials = [TrialSeeds(row.number, row.enqueued, SeedStats(row.seed_values))
              for row in rows if row.seed_values]
    return best_vs_baseline(trials, maximize=maximize)


def format_param(value: Any) -> str:
    """A parameter as the trials table shows it: 4 significant digits for floats."""
    if not isinstance(value, float):
        return str(value)
    text = f"{value:.4g}"
    return text if any(c in text for c in ".en") else text + ".0"  # 1.0 stays a float


def format_value(values: tuple[float, ...]) -> str:
    """A COMPLETE trial's objective: one value, or mean ± std (n) over its seeds."""
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return SeedStats(values).describe(digits=4)


def params_of(rows: list[TrialRow]) -> list[str]:
    """Parameter names in the order trials first used them."""
    return list(dict.fromkeys(name for row in rows for name in row.params))

