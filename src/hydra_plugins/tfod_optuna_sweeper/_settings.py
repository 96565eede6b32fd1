"""The one validator of ``hydra.sweeper``: bad values stop the sweep before any trial runs.

There is no second settings class: the result is the conf dataclass itself, filled with
resolved, checked values; its ``directions`` is always the full list (one entry for a
single-objective study, whose ``direction`` is that entry; None with several).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from hydra_plugins.tfod_optuna_sweeper._conf import TfodOptunaSweeperConf
from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from hydra_plugins.tfod_optuna_sweeper._race._config import load_race
from hydra_plugins.tfod_optuna_sweeper._secrets import refuse_literal_password

# The sweeper's settings are its conf dataclass, checked once by `load_settings`.
Settings = TfodOptunaSweeperConf


def _container(node: Any) -> Any:
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _int(cfg: DictConfig, key: str, minimum: int, optional: bool = False) -> int | None:
    value = cfg.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SweeperError(f"hydra.sweeper.{key} must be an integer >= {minimum}, got {value!r}")
    return value


_DIRECTIONS = ("maximize", "minimize")
#: The pruner config that never prunes: the only one a multi-objective study accepts.
NOP_PRUNER = "optuna.pruners.NopPruner"
#: Samplers Optuna refuses on a study with several objectives (at the first trial).
SINGLE_OBJECTIVE_SAMPLERS = {"optuna.samplers.CmaEsSampler": "cmaes"}


def _directions(resolved: DictConfig) -> list[str]:
    """``direction`` or ``directions`` as one list; setting both is ambiguous."""
    single, several = resolved.get("direction"), _container(resolved.get("directions"))
    if single is not None and several is not None:
        raise SweeperError(
            "set hydra.sweeper.direction (one objective) or hydra.sweeper.directions "
            "(a list, one per objective), not both"
        )
    if several is None:
        direction = str(single or "maximize").lower()
        if direction not in _DIRECTIONS:
            raise SweeperError(
                f"hydra.sweeper.direction must be maximize or minimize, not {direction}"
            )
        return [direction]
    if not isinstance(several, list) or not several or not all(
        str(d).lower() in _DIRECTIONS for d in several
    ):
        raise SweeperError(
            "hydra.sweeper.directions must be a non-empty list of maximize/minimize, "
            f"got {several!r}"
        )
    return [str(d).lower() for d in several]


def check_multi_objective(directions: list[str], sampler: Any, pruner: Any) -> None:
    """Refuse what Optuna cannot do with several objectives, before any trial runs.

    Optuna has no pruning for multi-objective studies (``Trial.report`` raises), and a
    pruner that could never act would only hide that; CMA-ES fails at the first trial.
    """
    if len(directions) < 2:
        return
    if pruner is not None and (not isinstance(pruner, dict)
                               or pruner.get("_target_") != NOP_PRUNER):
        raise SweeperError(
            f"hydra.sweeper.pruner: Optuna cannot prune a multi-objective study "
            f"({len(directions)} directions); set hydra.sweeper.pruner=null"
        )
    target = sampler.get("_target_") if isinstance(sampler, dict) else None
    if target in SINGLE_OBJECTIVE_SAMPLERS:
        raise SweeperError(
            f"hydra/sweeper/sampler={SINGLE_OBJECTIVE_SAMPLERS[target]} cannot run a "
            "multi-objective study: use nsga2, tpe, random or qmc"
        )


def history_lag(sweeper: Any) -> int:
    """``history_lag``, or ``n_jobs - 1`` when it is null (see ``_history``)."""
    lag = _int(sweeper, "history_lag", 0, optional=True)
    if lag is None:
        return int(_int(sweeper, "n_jobs", 1)) - 1  # type: ignore[arg-type]
    return lag


def load_settings(cfg: DictConfig) -> TfodOptunaSweeperConf:
    """Read and check ``hydra.sweeper``; every problem is a one-line SweeperError."""
    try:
        resolved = DictConfig(_container(cfg))
    except Exception as exc:
        raise SweeperError(f"hydra.sweeper cannot be resolved: {exc}") from None
    # Before anything is written: the unresolved value is what Hydra saves to disk.
    refuse_literal_password(OmegaConf.to_container(cfg, resolve=False).get("storage"))
    study_name = str(resolved.get("study_name") or "").strip()
    if not study_name:
        raise SweeperError("hydra.sweeper.study_name must be a non-empty string")
    directions = _directions(resolved)
    rate = resolved.get("max_failure_rate")
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
        raise SweeperError(f"hydra.sweeper.max_failure_rate must be in [0, 1], got {rate!r}")
    heartbeat = _int(resolved, "heartbeat_interval", 1, optional=True)
    grace = _int(resolved, "grace_period", 1, optional=True)
    if heartbeat is not None and grace is not None and grace <= heartbeat:
        raise SweeperError(
            f"hydra.sweeper.grace_period ({grace}s) must exceed heartbeat_interval ({heartbeat}s)"
        )
    params = _container(resolved.get("params")) or {}
    if not isinstance(params, dict):
        raise SweeperError("hydra.sweeper.params must be a mapping of key: override-value")
    enqueue = _container(resolved.get("enqueue")) or []
    if not isinstance(enqueue, list) or not all(isinstance(p, dict) for p in enqueue):
        raise SweeperError("hydra.sweeper.enqueue must be a list of {param: value} mappings")
    storage = resolved.get("storage")
    sampler, pruner = _container(resolved.get("sampler")), _container(resolved.get("pruner"))
    check_multi_objective(directions, sampler, pruner)
    n_jobs = _int(resolved, "n_jobs", 1)
    lag = history_lag(resolved)
    if lag and heartbeat is None:
        raise SweeperError(
            f"hydra.sweeper.history_lag={lag} waits for older trials, and without heartbeats "
            "a dead worker's trial would be awaited forever: set heartbeat_interval, or "
            "history_lag=0 (a parallel study that is not repeatable)"
        )
    n_trials = _int(resolved, "n_trials", 1)
    seeds_per_trial = _int(resolved, "seeds_per_trial", 1)
    race = load_race(_container(resolved.get("race")), resolved.get("budget"), n_trials,
                     seeds_per_trial, directions)  # type: ignore[arg-type]
    artifact_dir = resolved.get("artifact_dir")
    if artifact_dir is not None and not str(artifact_dir).strip():
        raise SweeperError("hydra.sweeper.artifact_dir must be a folder path or null")
    return TfodOptunaSweeperConf(
        study_name=study_name,
        direction=directions[0] if len(directions) == 1 else None,
        directions=directions,
        storage=None if storage is None else str(storage),
        artifact_dir=None if artifact_dir is None else str(artifact_dir),
        n_trials=n_trials,  # type: ignore[arg-type]
        n_jobs=n_jobs,
        history_lag=lag,
        max_failure_rate=float(rate),
        sampler=sampler,
        pruner=pruner,
        params={str(k): v for k, v in params.items()},
        enqueue=enqueue,
        heartbeat_interval=heartbeat,
        grace_period=grace,
        max_retry=_int(resolved, "max_retry", 0, optional=True),
        storage_outage_seconds=_int(resolved, "storage_outage_seconds", 0),  # type: ignore[arg-type]
        seeds_per_trial=seeds_per_trial,  # type: ignore[arg-type]
        race=race,
        fit_space=None if resolved.get("fit_space") is None else str(resolved.get("fit_space")),
        budget=None if resolved.get("budget") is None else str(resolved.get("budget")),
    )
