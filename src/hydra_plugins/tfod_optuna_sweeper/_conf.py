"""Dataclasses behind the ``tfod_optuna`` sweeper's config nodes.

They live in a private module because Hydra's plugin scanner executes public modules
without registering them in ``sys.modules`` first, which dataclasses with postponed
annotations cannot survive; ``config`` imports them normally and registers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from hydra_plugins.tfod_optuna_sweeper._storage import DEFAULT_STORAGE
from hydra_plugins.tfod_optuna_sweeper.reporter import SWEEPER_TARGET


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
class RaceConf:
    """``hydra.sweeper.race``: adaptive seeds, rungs and a confirmation (``race/plan.py``).

    Each trial is one run: a point trained with one seed and evaluated at one rung. The
    task reads the seed, the stop step and the checkpoint to continue from through the
    three override keys below.
    """

    # The full length of a run, in the task's steps (e.g. ${train.num_steps}).
    full_steps: int = MISSING
    # Evaluation rungs as fractions of full_steps, ascending; the last must be 1.0.
    rungs: list[float] = field(default_factory=lambda: [0.5, 1.0])
    # Successive halving on the first seed: the best 1/eta of a rung continue.
    eta: int = 3
    # Selection seeds a candidate may earn at full length (first_seed, +1, ...).
    max_seeds: int = 4
    first_seed: int = 0
    # Drop a challenger when a one-sided t test on the shared seeds gives p < alpha.
    alpha: float = 0.05
    # A challenger with p below this earns no further seed (for now).
    promising: float = 0.25
    # How candidates rank: mean of their seeds, or lcb (mean - lcb_z * SE).
    objective: str = "mean"
    lcb_z: float = 1.0
    # Confirmation: the top-k candidates and the baseline, on fresh seeds at full length.
    confirm_top_k: int = 2
    confirm_seeds: int = 3
    # Confirmation seeds are first_seed + confirm_seed_offset, +1, ...: never selection's.
    confirm_seed_offset: int = 1000
    # Override keys of the task: the seed, the step to stop at, the run dir to continue.
    seed_key: str = "seed"
    stop_key: str = "stop_at"
    resume_key: str = "resume_from"


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
    # A callable (dotted path) the app gives to fit the search space to the composed task,
    # e.g. tfod_sweep.study_fit.fit_study: (config, param names, enqueue, overrides) ->
    # an object with dropped, reset, enqueue and note. null: the space is used as given.
    fit_space: str | None = None
    # Race the candidates (RaceConf): null runs the classic study of n_trials trials.
    race: RaceConf | None = None
    # The race's budget: wall-clock time (90m, 1.5h), train steps (20000 steps) or runs
    # (12 runs); confirmation included. null: n_trials search runs, then confirmation.
    budget: str | None = None
