"""The few lines printed when a sweep ends: where the study stands and how to see it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._budget import slot_trials
from hydra_plugins.tfod_optuna_sweeper._optuna_private import FIXED_PARAMS
from hydra_plugins.tfod_optuna_sweeper._race._summary import race_lines
from hydra_plugins.tfod_optuna_sweeper._storages._location import StorageLocation
from tfod_sweep.review.seed_stats import SeedStats, TrialSeeds, best_vs_baseline

_ORDER = (
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAIL,
    TrialState.RUNNING,
    TrialState.WAITING,
)


def summary(study: optuna.Study, location: StorageLocation, n_trials: int,
            artifact_dir: Path | None = None, race: dict[str, Any] | None = None) -> str:
    """Counts by state, the best trial (the Pareto front with several objectives), the
    storage and the dashboard command; a race's verdict (from its record, ``race``)
    instead of the best trial."""
    trials = study.get_trials(deepcopy=False)
    counts = Counter(t.state for t in trials)
    states = ", ".join(f"{s.name} {counts[s]}" for s in _ORDER if counts[s])
    extra = len(trials) - len(slot_trials(trials))
    note = f" (+{extra} retried/discarded)" if extra else ""
    if race is not None:
        lines = [f"study {study.study_name!r}: {len(trials) - extra} runs{note}: "
                 f"{states or 'none'}"]
        lines.extend(race_lines(race))
        return "\n".join([*lines, *_where(location, artifact_dir)])
    lines = [
        f"study {study.study_name!r}: {len(trials) - extra}/{n_trials} trials{note}: "
        f"{states or 'none'}"
    ]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if complete and len(study.directions) > 1:
        lines.extend(pareto_lines(study))
    elif complete:
        best = study.best_trial
        lines.append(f"best: trial {best.number}, value {best.value:.6g}, "
                     f"params {_params(best)}")
        lines.append(_against_baseline(study, complete))
    return "\n".join([*lines, *_where(location, artifact_dir)])


def _where(location: StorageLocation, artifact_dir: Path | None) -> list[str]:
    lines = [f"storage: {location.display}"]
    if artifact_dir is not None:
        lines.append(f"artifacts: {artifact_dir}")
    lines.append(f"view it with: {location.dashboard_command(artifact_dir)}")
    return lines


def _params(trial: optuna.trial.FrozenTrial) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in trial.params.items())


def pareto_lines(study: optuna.Study) -> list[str]:
    """A multi-objective study has no single best: its Pareto-optimal trials, by number.

    The best-vs-baseline check compares one number against the seed noise, so it is
    left out here (and says so) rather than applied to one objective arbitrarily.
    """
    names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
    goals = ", ".join(f"{name} ({direction.name.lower()})"
                      for name, direction in zip(names, study.directions, strict=True))
    front = sorted(study.best_trials, key=lambda t: t.number)
    lines = [f"Pareto-optimal trials ({len(front)}) of {goals}:"]
    for trial in front:
        values = ", ".join(f"{v:.6g}" for v in trial.values)
        lines.append(f"  trial {trial.number}: values ({values}), params {_params(trial)}")
    lines.append("best vs baseline: applies to single-objective studies only")
    return lines


def _against_baseline(study: optuna.Study, complete: list[optuna.trial.FrozenTrial]) -> str:
    """The best trial vs the study's baseline, from each trial's per-seed values."""
    trials = [
        TrialSeeds(t.number, FIXED_PARAMS in t.system_attrs,
                   SeedStats(tuple(float(v) for v in
                                   t.user_attrs.get("value_per_seed") or [t.value])))
        for t in complete
    ]
    verdict = best_vs_baseline(trials, maximize=study.direction.name == "MAXIMIZE")
    assert verdict is not None  # there is at least one COMPLETE trial
    return verdict
