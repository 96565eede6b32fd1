"""The sweep loop of one worker: claim a trial, run it, record it, until the study is full.

A worker that finds no free slot does not quit while other trials still run somewhere
(and heartbeats are on): it polls, so a trial whose worker dies is reaped after the
grace period and its retry is run here. The study is finished when every slot holds a
finished trial.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.types import HydraContext, TaskFunction
from hydra.utils import get_method
from omegaconf import DictConfig, ListConfig, OmegaConf
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import RETRY_HISTORY
from hydra_plugins.tfod_optuna_sweeper._claim import Claim, Claimer
from hydra_plugins.tfod_optuna_sweeper._conf import Settings, load_settings
from hydra_plugins.tfod_optuna_sweeper._disk import disk_error, retry_later
from hydra_plugins.tfod_optuna_sweeper._errors import StudyStopped, SweeperError
from hydra_plugins.tfod_optuna_sweeper._evidence import EvidenceWriter, name_objective
from hydra_plugins.tfod_optuna_sweeper._factory import build_pruner, build_sampler
from hydra_plugins.tfod_optuna_sweeper._optuna_private import storage_of, trial_id_of
from hydra_plugins.tfod_optuna_sweeper._race._claims import RaceClaims
from hydra_plugins.tfod_optuna_sweeper._race._review import RECORD, race_note, race_record
from hydra_plugins.tfod_optuna_sweeper._search_space import build_search_space, normalize_point
from hydra_plugins.tfod_optuna_sweeper._signals import deferred_interrupts, sigterm_as_interrupt
from hydra_plugins.tfod_optuna_sweeper._storages._location import (
    open_storage,
    resolve_artifact_dir,
    resolve_storage,
)
from hydra_plugins.tfod_optuna_sweeper._storages._rdb import connection_reason, is_connection_error
from hydra_plugins.tfod_optuna_sweeper._summary import summary
from hydra_plugins.tfod_optuna_sweeper._trial import Outcome, TrialRunner
from hydra_plugins.tfod_optuna_sweeper._workers import WorkerPool, is_extra_worker, share_cores
from tfod_sweep.errors import SweepError, one_line
from tfod_sweep.fileio import atomic_write_text

log = logging.getLogger(__name__)


def _fit(path: str) -> Callable[..., Any]:
    """The app's search-space fitting callable named by ``hydra.sweeper.fit_space``."""
    try:
        return get_method(path)
    except Exception as exc:
        raise SweeperError(f"hydra.sweeper.fit_space={path!r} cannot be imported: "
                           f"{one_line(exc)}") from None


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped this worker (its running trial is already FAIL)."""


def _open_study(settings: Settings, base_dir: Path) -> tuple[optuna.Study, Any]:
    location = resolve_storage(settings.storage, base_dir)
    callback = None
    if settings.heartbeat_interval is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            callback = RetryHeartbeatStaleTrialCallback(max_retry=settings.max_retry)
    storage = open_storage(
        location,
        heartbeat_interval=settings.heartbeat_interval,
        grace_period=settings.grace_period,
        stale_callback=callback,
        outage_seconds=settings.storage_outage_seconds,
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=settings.study_name,
        storage=storage,
        sampler=build_sampler(settings.sampler),
        pruner=build_pruner(settings.pruner),
        directions=settings.directions,
        load_if_exists=True,
    )
    stored = [d.name.lower() for d in study.directions]
    if stored != settings.directions:
        word = "direction" if len(stored) == len(settings.directions) == 1 else "directions"
        raise SweeperError(
            f"study {settings.study_name!r} already exists with {word} "
            f"{_shown(stored)}, not {_shown(settings.directions)}"
        )
    return study, location


def _shown(directions: list[str]) -> str:
    """``maximize`` for one direction, ``[maximize, minimize]`` for several."""
    return directions[0] if len(directions) == 1 else "[" + ", ".join(directions) + "]"


def _objective_metrics(config: DictConfig, directions: list[str]) -> list[str] | None:
    """The task's ``optimized_metric`` as a list, checked against the number of directions.

    A study whose objectives outnumber (or are outnumbered by) the metrics the task
    returns would fail every trial; this says so once, before the first one.
    """
    metric = config.get("optimized_metric")
    if metric is None:
        return None
    metrics = [str(m) for m in metric] if isinstance(metric, (list, ListConfig)) else [str(metric)]
    if len(metrics) != len(directions):
        raise SweeperError(
            f"optimized_metric names {len(metrics)} metric(s) but the study has "
            f"{len(directions)} direction(s) (hydra.sweeper.direction/directions): give "
            "one direction per metric"
        )
    return metrics


class SweepRunner:
    """Everything the ``tfod_optuna`` sweeper does, built in Hydra's ``setup`` step."""

    def __init__(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self._config = config
        self._context = hydra_context
        base_dir = Path(str(config.hydra.runtime.cwd))
        try:
            self._settings = load_settings(config.hydra.sweeper)
            metrics = _objective_metrics(config, self._settings.directions)
            self._study, self._location = _open_study(self._settings, base_dir)
            self._artifact_dir = resolve_artifact_dir(
                self._settings.artifact_dir, self._location, base_dir
            )
            name_objective(self._study, metrics)
        except SweepError as exc:
            raise SweeperError(str(exc)) from None
        except Exception as exc:
            raise SweeperError(f"cannot open the study: {one_line(exc)}") from None
        launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )
        evidence = EvidenceWriter(self._artifact_dir, metrics)
        self._runner = TrialRunner(self._study, launcher, hydra_context, config, evidence)

    def sweep(self, arguments: list[str]) -> optuna.Study:
        """Fill the study up to ``n_trials``, with ``n_jobs`` local workers."""
        settings = self._settings
        parser = OverridesParser.create(config_loader=self._context.config_loader)
        try:
            space = build_search_space(settings.params, arguments, parser)
            enqueue = settings.enqueue
            if settings.fit_space:  # the app's own fitting, e.g. keys a model lacks
                fitted = _fit(settings.fit_space)(self._config, list(space.params),
                                                  settings.enqueue, arguments)
                for name in fitted.dropped:
                    del space.params[name]
                space.fixed.extend(fitted.reset)
                if fitted.note and not is_extra_worker():  # said once, not once per worker
                    log.info(fitted.note)
                enqueue = fitted.enqueue
            points = [normalize_point(p, space) for p in enqueue]
        except SweepError as exc:
            raise SweeperError(str(exc)) from None
        race = None
        if settings.race is not None:
            race = RaceClaims(settings.race, settings.directions[0],
                              points[0] if points else None)
        claimer = Claimer(self._study, self._location.claim_lock, settings, space, parser, race)
        sweep_dir = Path(str(self._config.hydra.sweep.dir)).absolute()
        try:
            self._save_config(sweep_dir)
        except OSError as exc:
            raise SweeperError(
                f"cannot write {sweep_dir / 'multirun.yaml'}: {one_line(exc)}; make the "
                "outputs writable (or free space) and re-run"
            ) from None
        share_cores(settings.n_jobs, self._config.hydra.launcher.get("_target_"))
        pool = WorkerPool(settings.n_jobs - 1, sweep_dir, settings.history_lag or 0)
        size = (f"a budget of {race.setup.budget.describe()}" if race is not None
                else f"{settings.n_trials} trials")  # a race ends by its budget, not a count
        log.info("study %r: %s in %s, %d worker(s)", settings.study_name, size,
                 self._location.display, settings.n_jobs)
        if race is not None and not is_extra_worker() and \
                race.finished(self._study.get_trials(deepcopy=False)):
            log.warning("study %r has reached its race's confirmation: a larger budget does not "
                        "reopen the search (its fresh seeds are spent on this verdict); to "
                        "search longer, start a new study: hydra.sweeper.study_name=<name>",
                        settings.study_name)
        error: BaseException | None = None
        try:
            with sigterm_as_interrupt():
                claimer.enqueue(points)
                pool.start()
                self._work(claimer)
        except (Interrupted, KeyboardInterrupt) as exc:
            pool.interrupt()
            error = exc
        except SweeperError as exc:
            error = exc
        except Exception as exc:  # e.g. the storage's disk is full: one line, details in log
            disk = disk_error(exc)
            if disk is None and is_connection_error(exc):
                reason = (f"storage {self._location.display} unreachable for over "
                          f"{self._settings.storage_outage_seconds} s ({connection_reason(exc)})")
            else:
                if disk is None:
                    log.exception("the sweep stopped on an unexpected error")
                reason = one_line(disk or exc)
            error = StudyStopped(f"sweep stopped: {reason}; finished trials are kept, re-run "
                                 "the same command to resume")
        finally:
            with deferred_interrupts():
                codes = pool.wait()
        self._report()
        if isinstance(error, (Interrupted, KeyboardInterrupt)):
            raise StudyStopped(
                f"interrupted: {error}; finished trials are kept, re-run the same command to resume"
            ) from None
        if error is not None:
            raise error
        claimer.check_failures()
        bad = [(i + 1, code) for i, code in enumerate(codes) if code != 0]
        if bad:
            raise StudyStopped(f"worker(s) exited with errors (worker, code): {bad}")
        return self._study

    def _work(self, claimer: Claimer) -> None:
        waiting_logged = False
        while True:
            with deferred_interrupts() as pending:
                claim = claimer.claim()
            if pending.hit:
                if claim is not None:
                    self._stop(claim)
                raise Interrupted("stopped before a trial started")
            if claim is not None:
                waiting_logged = False
                self._run(claimer, claim)
                continue
            running = self._study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if not running or self._settings.heartbeat_interval is None:
                return
            if not waiting_logged:
                log.info(
                    "no free slot; waiting for %d trial(s) running elsewhere (a lost one is "
                    "retried here)",
                    len(running),
                )
                waiting_logged = True
            time.sleep(min(5.0, float(self._settings.heartbeat_interval)))

    def _run(self, claimer: Claimer, claim: Claim) -> None:
        outcome: Outcome | None = None
        stopped: KeyboardInterrupt | None = None
        try:
            if not claimer.sample(claim):  # may wait for older trials (history_lag)
                return  # a race with nothing left: the trial was discarded
            outcome = self._runner.launch(claim)
        except KeyboardInterrupt as exc:
            stopped = exc
        with deferred_interrupts() as pending:
            if outcome is None:
                self._stop(claim, stopped)
            else:
                self._runner.finish(claim, outcome)
                if outcome.disk or outcome.requeue:
                    self._requeue(claim)
        if outcome is not None and outcome.disk:
            raise StudyStopped(
                f"trial {claim.trial.number}: {outcome.reason}; finished trials are kept and "
                "this one is queued again: free space (or make the outputs writable) and "
                "re-run the same command to resume"
            )
        if stopped is not None:
            raise Interrupted(f"trial {claim.trial.number} marked FAIL")
        if pending.hit:
            raise Interrupted(f"stopped after trial {claim.trial.number} finished")

    def _requeue(self, claim: Claim) -> None:
        """Queue the trial's slot again (same parameters) unless ``max_retry`` is spent."""
        frozen = storage_of(self._study).get_trial(trial_id_of(claim.trial))
        tries = len(frozen.system_attrs.get(RETRY_HISTORY) or [])
        limit = self._settings.max_retry
        if limit is not None and tries >= limit:
            log.warning("trial %d: not retried, max_retry=%d reached", frozen.number, limit)
            return
        retry_later(self._study, frozen)
        log.info("trial %d: queued again with the same parameters", frozen.number)

    def _stop(self, claim: Claim, exc: BaseException | None = None) -> None:
        detail = f" ({exc})" if exc is not None and str(exc) else ""
        self._runner.finish(
            claim,
            Outcome(
                TrialState.FAIL,
                reason=f"KeyboardInterrupt: stopped by the user{detail}",
                interrupted=True,
            ),
        )

    def _save_config(self, sweep_dir: Path) -> None:
        """``multirun.yaml`` as Hydra's own sweeper writes it (atomic: workers race)."""
        sweep_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(sweep_dir / "multirun.yaml", OmegaConf.to_yaml(self._config))

    def _report(self) -> None:
        """Print the summary; a storage that cannot be read now only costs the summary."""
        if is_extra_worker():
            return
        record = None
        try:
            if self._settings.race is not None:
                sign = 1.0 if self._settings.directions[0] == "maximize" else -1.0
                record = race_record(self._study.get_trials(deepcopy=False),
                                     self._settings.race, sign)
            text = summary(self._study, self._location, self._settings.n_trials,
                           self._artifact_dir, record)
        except Exception as exc:
            reason = connection_reason(exc) if is_connection_error(exc) else one_line(exc)
            log.warning("no study summary: the storage cannot be read (%s)", reason)
            return
        print(text, flush=True)
        if record is not None:
            self._record_race(record)

    def _record_race(self, record: dict[str, Any]) -> None:
        """The race's record on the study (for sweep.report) and as its dashboard note."""
        try:
            self._study.set_user_attr(RECORD, record)
            from optuna_dashboard import save_note

            save_note(self._study, race_note(record))
        except Exception as exc:  # the study itself is safe; only its review record is not
            log.warning("race record not written: %s", one_line(exc))
