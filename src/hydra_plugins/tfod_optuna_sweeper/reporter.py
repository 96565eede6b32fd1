"""Job-side handle on the Optuna trial the job is running.

The job finds its trial through the study's storage, never through memory handed over
by the sweeper, so the same code works when Hydra runs the job in another process:

* ``hydra.sweeper._target_`` says whether this multirun job belongs to our sweeper;
* ``hydra.sweeper.storage`` / ``hydra.sweeper.study_name`` locate the study (relative
  file paths are taken from ``hydra.runtime.cwd``, the directory the command ran in);
* ``hydra.job.num`` is the trial number: the sweeper launches trial ``n`` with
  ``initial_job_idx=n``.

The job only reports; the sweeper owns the trial's state (COMPLETE/PRUNED/FAIL).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra_plugins.tfod_optuna_sweeper._attrs import INTERMEDIATE_VALUES
from hydra_plugins.tfod_optuna_sweeper._conf import SWEEPER_TARGET
from tfod_sweep.errors import SweepError

if TYPE_CHECKING:
    import optuna

# One storage per location per process: in-process trials reuse it instead of opening
# a new database connection pool (or replaying the journal) for every trial.
_STORAGES: dict[str, Any] = {}


class TrialReporter:
    """Reports learning curves and results of one trial to its study."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, seeds_per_trial: int = 1,
                 enqueued: bool = False) -> None:
        self._study = study
        self._trial = trial
        self.seeds_per_trial = seeds_per_trial
        #: True for a point the study enqueued (a baseline), not one the sampler drew.
        self.enqueued = enqueued
        # Only the first seed's run speaks for the trial (curve, pruning, attrs).
        self._primary = True
        #: Report the curve but never ask the pruner (a race's confirmation runs).
        self.never_prune = False
        #: Several objectives: Optuna keeps no intermediate values and cannot prune.
        self.multi_objective = len(study.directions) > 1
        self._curve: dict[str, float] = {}

    def for_later_seed(self) -> TrialReporter:
        """A handle for seed 2, 3, ...: same trial, but it neither reports nor prunes."""
        quiet = TrialReporter(self._study, self._trial, self.seeds_per_trial, self.enqueued)
        quiet._primary = False
        return quiet

    @property
    def number(self) -> int:
        """The trial number (also this job's ``hydra.job.num``)."""
        return self._trial.number

    @property
    def study_name(self) -> str:
        """Name of the study the trial belongs to."""
        return self._study.study_name

    @property
    def params(self) -> dict[str, Any]:
        """The parameters the sweeper chose for this trial."""
        return dict(self._trial.params)

    def report(self, value: float, step: int, may_prune: bool = True) -> None:
        """Record ``value`` at ``step``; raise ``optuna.TrialPruned`` if the pruner says stop.

        A run's last evaluation passes ``may_prune=False``: a trial that trained to its
        final step is COMPLETE, however it compares.

        A multi-objective study has no intermediate values in Optuna (``Trial.report``
        raises) and so no pruning: the curve goes to the user attr
        ``intermediate_values`` (``{"<step>": value}``, rewritten whole at each step)
        instead, so the dashboard and ``sweep.report`` still show how the trial learned,
        and nothing is ever pruned.
        """
        import optuna

        if not self._primary:
            return
        if self.multi_objective:
            self._curve[str(int(step))] = float(value)
            self._trial.set_user_attr(INTERMEDIATE_VALUES, dict(self._curve))
            return
        self._trial.report(float(value), int(step))
        if may_prune and not self.never_prune and self._trial.should_prune():
            raise optuna.TrialPruned(f"pruned at step {int(step)} (value {float(value):.6g})")

    def set_user_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Attach results (metrics, paths, timings) shown as user attrs in optuna-dashboard."""
        if not self._primary:
            return
        self.set_trial_attrs(attrs)

    def set_trial_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Attach attrs on behalf of the whole trial (e.g. the per-seed summary)."""
        for key, value in attrs.items():
            self._trial.set_user_attr(str(key), _jsonable(value))


def _jsonable(value: Any) -> Any:
    """Plain JSON types only: the journal and the dashboard cannot store numpy or Paths."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def is_trial_job() -> bool:
    """True when the running Hydra job is a trial of this sweeper (the one place it is decided)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return False
    hydra_cfg = HydraConfig.get()
    sweeper = hydra_cfg.get("sweeper")
    return (hydra_cfg.mode == RunMode.MULTIRUN and sweeper is not None
            and sweeper.get("_target_") == SWEEPER_TARGET)


def open_trial_reporter() -> TrialReporter | None:
    """The reporter of the current job's trial, or None if this job is not such a trial."""
    from hydra.core.hydra_config import HydraConfig

    from hydra_plugins.tfod_optuna_sweeper._conf import history_lag

    if not is_trial_job():
        return None
    hydra_cfg = HydraConfig.get()
    sweeper = hydra_cfg.sweeper
    return _open(
        storage=sweeper.get("storage"),
        study_name=str(sweeper.study_name),
        trial_number=int(hydra_cfg.job.num),
        pruner=sweeper.get("pruner"),
        history_lag=history_lag(sweeper),
        base_dir=Path(hydra_cfg.runtime.cwd),
        seeds_per_trial=int(sweeper.get("seeds_per_trial") or 1),
        outage_seconds=sweeper.get("storage_outage_seconds"),
    )


def _open(
    *, storage: str | None, study_name: str, trial_number: int, pruner: Any, base_dir: Path,
    seeds_per_trial: int = 1, outage_seconds: float | None = None, history_lag: int = 0,
) -> TrialReporter:
    import optuna
    from optuna.trial import TrialState

    from hydra_plugins.tfod_optuna_sweeper._factory import build_pruner
    from hydra_plugins.tfod_optuna_sweeper._history import LaggedPruner
    from hydra_plugins.tfod_optuna_sweeper._optuna_private import FIXED_PARAMS, study_id_of
    from hydra_plugins.tfod_optuna_sweeper._race._model import CONFIRM
    from hydra_plugins.tfod_optuna_sweeper._race._trials import ASSIGNMENT
    from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage, resolve_storage

    location = resolve_storage(storage, base_dir)
    backend = _STORAGES.get(location.target)
    if backend is None:
        backend = _STORAGES[location.target] = open_storage(location, outage_seconds=outage_seconds)
    try:
        study = optuna.load_study(
            study_name=study_name,
            storage=backend,
            sampler=optuna.samplers.RandomSampler(),  # the job never samples
            pruner=LaggedPruner(build_pruner(pruner), history_lag) if history_lag
            else build_pruner(pruner),
        )
        trial_id = backend.get_trial_id_from_study_id_trial_number(study_id_of(study),
                                                                   trial_number)
    except KeyError:
        raise SweepError(
            f"trial {trial_number} of study {study_name!r} not found in its storage"
        ) from None
    frozen = backend.get_trial(trial_id)
    if frozen.state != TrialState.RUNNING:
        raise SweepError(
            f"trial {trial_number} of study {study_name!r} is {frozen.state.name}, not RUNNING"
        )
    trial = optuna.Trial(study, trial_id)
    for key, value in scheduler_attrs().items():
        trial.set_user_attr(key, value)
    reporter = TrialReporter(study, trial, seeds_per_trial,
                             enqueued=FIXED_PARAMS in frozen.system_attrs)
    # A race's confirmation run is never pruned: the verdict needs every one of them.
    race = frozen.system_attrs.get(ASSIGNMENT) or {}
    reporter.never_prune = race.get("role") == CONFIRM
    return reporter


def scheduler_attrs() -> dict[str, str]:
    """Where a batch scheduler ran this job: SLURM's job id and node, if under SLURM.

    A trial's row then says which ``sacct``/``seff`` record and node log to read.
    """
    import os

    names = {"slurm_job_id": "SLURM_JOB_ID", "slurm_array_job_id": "SLURM_ARRAY_JOB_ID",
             "slurm_node": "SLURMD_NODENAME"}
    return {key: os.environ[var] for key, var in names.items() if os.environ.get(var)}
