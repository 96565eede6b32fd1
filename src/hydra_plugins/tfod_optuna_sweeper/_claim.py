"""Take the next trial of the study without ever exceeding ``n_trials``.

Several workers (``n_jobs`` processes, or separate commands) share one study, so "is a
slot free? then create a trial" must be atomic:

* File storages (journal file, SQLite): the whole step — reap lost trials, count slots,
  ``ask``, sample parameters — runs under an ``fcntl`` lock next to the storage file.
  The kernel drops it if its holder is killed, so a SIGKILL never wedges the others.
* Server databases (PostgreSQL, MySQL, Redis) have no shared local file. There the
  worker asks first and checks afterwards: trials are numbered in creation order, so
  if its trial is not among the first ``n_trials`` slots it lost the race; it marks it
  FAIL with user attr ``discarded`` (which frees the slot) and stops. Exactly the
  surplus trials are discarded, never one inside the budget.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, FAIL_REASON
from hydra_plugins.tfod_optuna_sweeper._budget import failed_trials, max_failures, slot_trials
from hydra_plugins.tfod_optuna_sweeper._errors import StudyStopped
from hydra_plugins.tfod_optuna_sweeper._factory import build_sampler
from hydra_plugins.tfod_optuna_sweeper._heartbeat import HeartbeatThread, reap_stale_trials
from hydra_plugins.tfod_optuna_sweeper._search_space import SearchSpace, suggest_overrides
from hydra_plugins.tfod_optuna_sweeper._settings import Settings
from tfod_sweep.errors import one_line
from tfod_sweep.fileio import file_lock

log = logging.getLogger(__name__)


@dataclass
class Claim:
    """A trial this worker owns: RUNNING, heartbeat started, parameters sampled."""

    trial: optuna.Trial
    overrides: list[str]
    heartbeat: HeartbeatThread
    #: The job's output dir, set once the job is launched (its files become evidence).
    run_dir: Path | None = None


class Claimer:
    """Hands out trials of one study to one worker."""

    def __init__(
        self,
        study: optuna.Study,
        lock: Path | None,
        settings: Settings,
        space: SearchSpace,
        parser: OverridesParser,
    ) -> None:
        """``lock``: the storage's claim lock file, None for server databases."""
        self._study = study
        self._lock = lock
        self._settings = settings
        self._space = space
        self._parser = parser

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with file_lock(self._lock) if self._lock is not None else contextlib.nullcontext():
            yield

    def enqueue(self, points: list[dict[str, object]]) -> None:
        """Queue known-good points once per study, however many runs or workers do it."""
        with self._exclusive():
            for point in points:
                if len(slot_trials(self._study.get_trials(deepcopy=False))) >= (
                    self._settings.n_trials
                ):
                    log.debug("n_trials reached: not enqueueing %s", point)
                    break
                self._study.enqueue_trial(point, skip_if_exists=True)

    def check_failures(self) -> None:
        """Raise once FAIL trials exceed ``max_failure_rate`` of ``n_trials``."""
        failed = failed_trials(self._study.get_trials(deepcopy=False))
        allowed = max_failures(self._settings.n_trials, self._settings.max_failure_rate)
        if len(failed) > allowed:
            last = failed[-1]
            raise StudyStopped(
                f"study {self._settings.study_name!r}: {len(failed)} failed trials exceed "
                f"max_failure_rate={self._settings.max_failure_rate} of n_trials="
                f"{self._settings.n_trials}; last: trial {last.number}: "
                f"{last.user_attrs.get(FAIL_REASON, 'no reason recorded')}"
            )

    def claim(self) -> Claim | None:
        """The next trial to run, or None when every slot is taken."""
        with self._exclusive():
            reap_stale_trials(self._study)
            self.check_failures()
            trials = self._study.get_trials(deepcopy=False)
            waiting = any(t.state == TrialState.WAITING for t in trials)
            if not waiting and len(slot_trials(trials)) >= self._settings.n_trials:
                return None
            # Reseed per trial: reproducible, and no two trials replay one random stream.
            self._study.sampler = build_sampler(self._settings.sampler, len(trials))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Heartbeat of storage")
                trial = self._study.ask()
            heartbeat = HeartbeatThread(self._study._storage, trial._trial_id)
            heartbeat.start()
            try:
                if self._lock is None and not self._within_budget(trial):
                    heartbeat.stop()
                    self._discard(trial)
                    return None
                if self._lock is None or trial.number != len(trials):
                    # Without a lock two workers can read the same trial count and seed
                    # alike; and enqueued points (WAITING trials) all exist before the
                    # first runs, so the count stays put while they are taken and their
                    # unlisted parameters would all be drawn alike. The trial number the
                    # storage assigned is unique.
                    self._study.sampler = build_sampler(self._settings.sampler, trial.number)
                overrides = suggest_overrides(trial, self._space, self._parser)
            except BaseException as exc:
                heartbeat.stop()
                reason = one_line(exc)
                trial.set_user_attr(FAIL_REASON, reason)
                self._study.tell(trial, state=TrialState.FAIL)
                if isinstance(exc, Exception):
                    raise StudyStopped(f"trial {trial.number} could not start: {reason}") from None
                raise
            return Claim(trial, overrides, heartbeat)

    def _within_budget(self, trial: optuna.Trial) -> bool:
        numbers = [t.number for t in slot_trials(self._study.get_trials(deepcopy=False))]
        return trial.number in numbers[: self._settings.n_trials]

    def _discard(self, trial: optuna.Trial) -> None:
        log.info("trial %d lost the race for the last slot: discarded", trial.number)
        trial.set_user_attr(DISCARDED, True)
        trial.set_user_attr(
            FAIL_REASON, "Discarded: created past n_trials by a racing worker; never run"
        )
        self._study.tell(trial, state=TrialState.FAIL)
