"""Run one claimed trial as a Hydra job and record how it ended.

The job's ending decides the trial's state: a float (a tuple of one float per direction
in a multi-objective study) is COMPLETE, ``optuna.TrialPruned`` is PRUNED, anything else
is FAIL with a one-line ``fail_reason``, a tuple of the wrong length included. The result is told
to the storage right away, so a later crash or kill cannot lose it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import optuna
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext
from omegaconf import DictConfig, open_dict
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON, INTERRUPTED, RUN_DIR
from hydra_plugins.tfod_optuna_sweeper._claim import Claim
from hydra_plugins.tfod_optuna_sweeper._disk import disk_error
from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError
from hydra_plugins.tfod_optuna_sweeper._evidence import EvidenceWriter
from hydra_plugins.tfod_optuna_sweeper._optuna_private import storage_of, trial_id_of
from hydra_plugins.tfod_optuna_sweeper._scheduler import scheduler_end
from tfod_sweep.errors import one_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How a trial ended."""

    state: TrialState
    #: A COMPLETE trial's objective values, one per direction of the study.
    values: tuple[float, ...] | None = None
    reason: str | None = None
    interrupted: bool = False
    #: The run dir could not be written (disk full, read-only): not the trial's fault.
    disk: bool = False
    #: The batch scheduler ended the job (cancelled, time limit, node lost): run it again.
    requeue: bool = False


def _values(returned: object, count: int) -> tuple[float, ...] | str:
    """The job's return value as ``count`` floats (NaN refused), or why it is not.

    One objective takes a float (anything ``float()`` accepts, or a one-item tuple: what
    a one-item ``optimized_metric`` list returns); several take a tuple or list of
    exactly as many, in the order of ``directions``.
    """
    if count == 1 and isinstance(returned, Sequence) and not isinstance(returned, str) \
            and len(returned) == 1:
        returned = returned[0]
    if count == 1:
        try:
            items = [float(returned)]  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"TypeError: job returned {returned!r}, not a float"
    else:
        if isinstance(returned, (str, bytes)) or not isinstance(returned, Sequence):
            return (f"TypeError: job returned {returned!r}, not a tuple of {count} floats "
                    f"(the study has {count} directions)")
        if len(returned) != count:
            return (f"ValueError: job returned {len(returned)} value(s), but the study has "
                    f"{count} directions")
        try:
            items = [float(item) for item in returned]
        except (TypeError, ValueError):
            return f"TypeError: job returned {tuple(returned)!r}, not {count} floats"
    nan = [index for index, item in enumerate(items) if math.isnan(item)]
    if nan:
        which = "" if count == 1 else f" for objective {nan[0]}"
        return f"ValueError: job returned NaN{which}"
    return tuple(items)


def outcome_of(ret: JobReturn, number: int, n_objectives: int = 1) -> Outcome:
    """Map Hydra's job result to a trial state."""
    if ret.status == JobStatus.COMPLETED:
        values = _values(ret.return_value, n_objectives)
        if isinstance(values, str):
            return Outcome(TrialState.FAIL, reason=values)
        return Outcome(TrialState.COMPLETE, values=values)
    # The public `return_value` re-raises a failed job's exception after printing "Error
    # executing job" to stderr, which would be wrong for every pruned trial; read it directly.
    exc = ret._return_value  # noqa: SLF001
    if isinstance(exc, optuna.TrialPruned):
        return Outcome(TrialState.PRUNED, reason=str(exc) or None)
    if isinstance(exc, BaseException):
        disk = disk_error(exc)
        if disk is not None:
            return Outcome(TrialState.FAIL, reason=one_line(disk), disk=True)
        log.error("trial %d failed", number, exc_info=(type(exc), exc, exc.__traceback__))
        return Outcome(TrialState.FAIL, reason=one_line(exc))
    return Outcome(TrialState.FAIL, reason=f"RuntimeError: job ended with status {ret.status}")


class TrialRunner:
    """Launches claimed trials with Hydra's launcher, one at a time."""

    def __init__(
        self,
        study: optuna.Study,
        launcher: Launcher,
        hydra_context: HydraContext,
        config: DictConfig,
        evidence: EvidenceWriter | None = None,
    ) -> None:
        self._study = study
        self._launcher = launcher
        self._context = hydra_context
        self._config = config
        self._evidence = evidence

    def run_dir(self, claim: Claim) -> Path:
        """The job's output dir; composing it also surfaces config errors as a FAIL."""
        cfg = self._context.config_loader.load_sweep_config(self._config, list(claim.overrides))
        with open_dict(cfg):
            cfg.hydra.job.num = claim.trial.number
            cfg.hydra.job.id = claim.trial.number
        return Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)

    def launch(self, claim: Claim) -> Outcome:
        """Run the job; KeyboardInterrupt propagates (the caller records it)."""
        number = claim.trial.number
        try:
            run_dir = self.run_dir(claim)
        except Exception as exc:
            return Outcome(TrialState.FAIL, reason=one_line(exc))
        if run_dir.is_dir() and any(run_dir.iterdir()):
            reason = (
                f"RunDirExists: {run_dir} holds another run (a deleted or different storage "
                "for this study name?); refusing to overwrite it"
            )
            self.finish(claim, Outcome(TrialState.FAIL, reason=reason))
            raise SweeperError(f"trial {number}: {reason}")
        log.info("trial %d: %s", number, " ".join(claim.overrides))
        claim.run_dir = run_dir.absolute()
        # A race's next rung continues this run's checkpoint from here.
        storage_of(self._study).set_trial_system_attr(trial_id_of(claim.trial), RUN_DIR,
                                                   str(claim.run_dir))
        try:
            returns = self._launcher.launch([claim.overrides], initial_job_idx=number)
        except SystemExit as exc:  # the job called sys.exit(): its failure, not the sweep's
            return Outcome(TrialState.FAIL, reason=f"SystemExit: {exc.code}")
        except Exception as exc:
            disk = disk_error(exc)
            if disk is not None:  # Hydra could not create the run dir or its .hydra/
                return Outcome(TrialState.FAIL, reason=one_line(disk), disk=True)
            ended = scheduler_end(exc)
            if ended is not None:
                return Outcome(TrialState.FAIL, reason=ended, requeue=True)
            log.error("trial %d could not be launched", number, exc_info=True)
            return Outcome(TrialState.FAIL, reason=one_line(exc))
        return outcome_of(returns[0], number, len(self._study.directions))

    def finish(self, claim: Claim, outcome: Outcome) -> None:
        """Attach the run's evidence, stop the heartbeat, then store the outcome.

        The evidence goes first: Optuna accepts no artifact on a finished trial. A late
        tell is logged, not fatal.
        """
        trial = claim.trial
        if self._evidence is not None and claim.run_dir is not None:
            self._evidence.attach(self._study, trial, claim.run_dir, outcome.state,
                                  outcome.values, outcome.reason)
        claim.heartbeat.stop()
        try:
            if outcome.state == TrialState.FAIL:
                trial.set_user_attr(FAIL_REASON, outcome.reason or "unknown")
                if outcome.interrupted or outcome.disk:
                    trial.set_user_attr(INTERRUPTED, True)
            if outcome.state == TrialState.COMPLETE:
                self._study.tell(trial, list(outcome.values or ()))
            else:
                self._study.tell(trial, state=outcome.state)
        except UpdateFinishedTrialError:
            log.warning(
                "trial %d was already finished by another worker that found its heartbeat "
                "late; this result is not recorded (its retry will run again)",
                trial.number,
            )
            return
        shown = "".join(f" {value:.6g}" for value in outcome.values or ())
        why = f" ({outcome.reason})" if outcome.reason else ""
        log.info("trial %d: %s%s%s", trial.number, outcome.state.name, shown, why)
