"""The ``tfod_optuna`` sweeper's config: its dataclasses and their one validator.

They live in a private module because Hydra's plugin scanner executes public modules
without registering them in ``sys.modules`` first, which dataclasses with postponed
annotations cannot survive; ``config`` imports them normally and registers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from hydra_plugins.tfod_optuna_sweeper._race._config import RaceConf, load_race
from hydra_plugins.tfod_optuna_sweeper._storages._location import DEFAULT_STORAGE
from hydra_plugins.tfod_optuna_sweeper._storages._secrets import refuse_literal_password

#: The sweeper class Hydra instantiates (and how a job knows it runs under it).
SWEEPER_TARGET = "hydra_plugins.tfod_optuna_sweeper.sweeper.TfodOptunaSweeper"


@dataclass
class TPESamplerConf:
    """Optuna's default Bayesian sampler; ``seed`` is offset by the trial number."""

    _target_: str = "optuna.samplers.TPESampler"
    seed: int | None = 42
    n_startup_trials: int = 10


@dataclass
class RandomSamplerConf:
    """Uniform random search."""

    _target_: str = "optuna.samplers.RandomSampler"
    seed: int | None = 42


@dataclass
class CmaEsSamplerConf:
    """CMA-ES for continuous spaces."""

    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: int | None = 42
    n_startup_trials: int = 1


@dataclass
class QMCSamplerConf:
    """Quasi-Monte-Carlo (Sobol/Halton) space filling."""

    _target_: str = "optuna.samplers.QMCSampler"
    seed: int | None = 42
    qmc_type: str = "sobol"
    scramble: bool = True


@dataclass
class NSGAIISamplerConf:
    """NSGA-II, the genetic sampler made for multi-objective studies (a Pareto front).

    ``population_size`` is a generation: the first one is random, later ones are bred
    from the best so far. Optuna's default (50) is far too many for studies of a few
    expensive trials; size it to about ``n_trials / 2``.
    """

    _target_: str = "optuna.samplers.NSGAIISampler"
    seed: int | None = 42
    population_size: int = 50


@dataclass
class MedianPrunerConf:
    """Stop a trial whose value is below the median of earlier trials at the same step."""

    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1


@dataclass
class PercentilePrunerConf:
    """Like the median pruner with another percentile."""

    _target_: str = "optuna.pruners.PercentilePruner"
    percentile: float = 25.0
    n_startup_trials: int = 5
    n_warmup_steps: int = 0
    interval_steps: int = 1
    n_min_trials: int = 1


@dataclass
class HyperbandPrunerConf:
    """Hyperband over successive-halving brackets; steps are the resource."""

    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"
    reduction_factor: int = 3
    bootstrap_count: int = 0


@dataclass
class SuccessiveHalvingPrunerConf:
    """Asynchronous successive halving."""

    _target_: str = "optuna.pruners.SuccessiveHalvingPruner"
    min_resource: Any = "auto"
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0


@dataclass
class NopPrunerConf:
    """Never prune (same as ``pruner: null``)."""

    _target_: str = "optuna.pruners.NopPruner"


@dataclass
class TfodOptunaSweeperConf:
    """``hydra.sweeper`` of the tfod_optuna sweeper. See the package docstring for details."""

    _target_: str = SWEEPER_TARGET
    # Hand sampler/pruner to the sweeper as configs: it builds them itself (per trial).
    _recursive_: bool = False
    defaults: list[Any] = field(
        default_factory=lambda: [{"sampler": "tpe"}, {"pruner": "median"}, "_self_"]
    )
    study_name: str = "tfod_sweep"
    # One objective: maximize or minimize (maximize when neither key is set).
    direction: str | None = None
    # Several objectives, one direction each, e.g. [maximize, minimize]: the task returns
    # a tuple of as many floats. Set direction or directions, not both.
    directions: list[str] | None = None
    # A journal file path (default, safe for concurrent local workers), or an RDB URL.
    storage: str | None = DEFAULT_STORAGE
    # Folder of the trials' artifacts (pipeline.config, preview.png, per-class AP chart),
    # shown by optuna-dashboard --artifact-dir. null: beside a journal/SQLite file
    # (outputs/studies/artifacts by default); for a server database,
    # outputs/studies/artifacts of the working dir (share one folder across machines).
    artifact_dir: str | None = None
    # Total trials of the study, across resumes and workers.
    n_trials: int = 20
    # Local worker processes running trials at the same time (this one included). With
    # several, each gets cores // n_jobs TensorFlow threads (unless TF_NUM_INTRAOP_THREADS
    # / TF_NUM_INTEROP_THREADS are set), so they do not fight over the cores.
    n_jobs: int = 1
    # Trial k's sampler and pruner see only trials numbered below k - history_lag, and it
    # waits for those to finish: the study then depends on its seed and this lag, not on
    # which worker finished first. null: n_jobs - 1 (0, the sequential study, for one).
    history_lag: int | None = None
    # Stop once FAIL trials exceed this fraction of n_trials (Ctrl-C'd trials excluded).
    max_failure_rate: float = 0.25
    sampler: Any = MISSING
    pruner: Any = MISSING
    # Search space in Hydra's override grammar, e.g. {"loss.gamma": "interval(0.5, 4.0)"}.
    params: dict[str, Any] = field(default_factory=dict)
    # Known-good points tried first, e.g. [{"loss.gamma": 2.0, "loss.alpha": 0.25}].
    enqueue: list[dict[str, Any]] = field(default_factory=list)
    # Seconds between heartbeats of a running trial; null disables lost-worker recovery.
    heartbeat_interval: int | None = 60
    # A RUNNING trial silent for this long is FAIL (null: 2 x heartbeat_interval).
    grace_period: int | None = 180
    # How often a trial whose worker died is retried with the same params (null: always).
    max_retry: int | None = 1
    # A server database (PostgreSQL, MySQL) that stops answering, e.g. while it restarts,
    # is retried this many seconds per call before the worker stops with one line.
    storage_outage_seconds: int = 120
    # Train each sampled point with this many seeds (train.seed, +1, ...); the objective is
    # their mean. Only the first seed reports intermediate values, so pruning compares all
    # trials on one shared seed; later seeds run only for points that survive it.
    seeds_per_trial: int = 1
    # A callable (dotted path) the app names in its study configs to fit the search space to
    # the composed task: (config, param names, enqueue, overrides) -> an object with
    # dropped, reset, enqueue and note. null: the space is used as given.
    fit_space: str | None = None
    # Race the candidates (RaceConf): null runs the classic study of n_trials trials.
    race: RaceConf | None = None
    # The race's budget: wall-clock time (90m, 1.5h), train steps (20000 steps) or runs
    # (12 runs); confirmation included. null: n_trials search runs, then confirmation.
    budget: str | None = None


# ---- The one validator of hydra.sweeper: bad values stop the sweep before any trial runs.
# There is no second settings class: the result is the conf dataclass itself, filled with
# resolved, checked values.
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
