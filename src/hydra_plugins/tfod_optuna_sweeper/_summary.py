"""The few lines printed when a sweep ends: where the study stands and how to see it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import optuna
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._budget import slot_trials
from hydra_plugins.tfod_optuna_sweeper._storage import StorageLocation
from tfod_sweep.seeds import SeedStats, TrialSeeds, best_vs_baseline

_ORDER = (
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAIL,
    TrialState.RUNNING,
    TrialState.WAITING,
)


def summary(study: optuna.Study, location: StorageLocation, n_trials: int,
            artifact_dir: Path | None = None) -> str:
    """Counts by state, the best trial, the storage and the dashboard command."""
    trials = study.get_trials(deepcopy=False)
    counts = Counter(t.state for t in trials)
    states = ", ".join(f"{s.name} {counts[s]}" for s in _ORDER if counts[s])
    extra = len(trials) - len(slot_trials(trials))
    note = f" (+{extra} retried/discarded)" if extra else ""
    lines = [
        f"study {study.study_name!r}: {len(trials) - extra}/{n_trials} trials{note}: "
        f"{states or 'none'}"
    ]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if complete:
        best = study.best_trial
        params = ", ".join(f"{k}={v!r}" for k, v in best.params.items())
        lines.append(f"best: trial {best.number}, value {best.value:.6g}, params {params}")
        lines.append(_against_baseline(study, complete))
    lines.append(f"storage: {location.display}")
    if artifact_dir is not None:
        lines.append(f"artifacts: {artifact_dir}")
    lines.append(f"view it with: {location.dashboard_command(artifact_dir)}")
    return "\n".join(lines)


def _against_baseline(study: optuna.Study, complete: list[optuna.trial.FrozenTrial]) -> str:
    """The best trial vs the study's baseline, from each trial's per-seed values."""
    trials = [
        TrialSeeds(t.number, "fixed_params" in t.system_attrs,
                   SeedStats(tuple(float(v) for v in
                                   t.user_attrs.get("value_per_seed") or [t.value])))
        for t in complete
    ]
    verdict = best_vs_baseline(trials, maximize=study.direction.name == "MAXIMIZE")
    assert verdict is not None  # there is at least one COMPLETE trial
    return verdict
