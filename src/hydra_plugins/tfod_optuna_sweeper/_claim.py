"""Take the next trial of the study without ever exceeding ``n_trials``.

Several workers (``n_jobs`` processes, or separate commands) share one study, so "is a
slot free? then create a trial" must be atomic:

* File storages (journal file, SQLite): the whole step — reap lost trials, count slots,
  ``ask`` — runs under an ``fcntl`` lock next to the storage file.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, FAIL_REASON, HISTORY_WAIT
from hydra_plugins.tfod_optuna_sweeper._budget import (
    failed_trials,
    holds_point,
    max_failures,
    slot_trials,
)
from hydra_plugins.tfod_optuna_sweeper._conf import Settings
from hydra_plugins.tfod_optuna_sweeper._errors import StudyStopped
from hydra_plugins.tfod_optuna_sweeper._factory import build_sampler
from hydra_plugins.tfod_optuna_sweeper._heartbeat import HeartbeatThread, reap_stale_trials
from hydra_plugins.tfod_optuna_sweeper._history import LaggedSampler, wait_for_history
from hydra_plugins.tfod_optuna_sweeper._optuna_private import storage_of, trial_id_of
from hydra_plugins.tfod_optuna_sweeper._race._claims import RaceClaims
from hydra_plugins.tfod_optuna_sweeper._search_space import SearchSpace, suggest_overrides
from tfod_sweep.errors import one_line
from tfod_sweep.fileio import file_lock

log = logging.getLogger(__name__)


@dataclass
class Claim:
    """A trial this worker owns: RUNNING, heartbeat started; ``sample`` fills overrides."""

    trial: optuna.Trial
    heartbeat: HeartbeatThread
    overrides: list[str] = field(default_factory=list)
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
        race: RaceClaims | None = None,
    ) -> None:
        """``lock``: the storage's claim lock file, None for server databases."""
        self._study = study
        self._lock = lock
        self._settings = settings
        self._space = space
        self._parser = parser
        self._race = race

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with file_lock(self._lock) if self._lock is not None else contextlib.nullcontext():
            yield

    def enqueue(self, points: list[dict[str, object]]) -> None:
        """Queue known-good points once per study, however many runs or workers do it.

        A point whose only trials were stopped by the user (or discarded) has not run:
        it is queued again, or a study stopped during its first trial would resume
        without its baseline (and a race could give no verdict).
        """
        with self._exclusive():
            for point in points:
                trials = self._study.get_trials(deepcopy=False)
                if self._race is None and len(slot_trials(trials)) >= self._settings.n_trials:
                    log.debug("n_trials reached: not enqueueing %s", point)
                    break
                if not any(holds_point(t, point) for t in trials):
                    self._study.enqueue_trial(point)

    def check_failures(self) -> None:
        """Raise once FAIL trials exceed ``max_failure_rate`` of ``n_trials``.

        A race has no trial count (its budget ends it), so there the rate applies to the
        trials it has made, once that is more than ``n_trials``: a long race of points
        that sometimes diverge is not stopped by a count meant for a short study.
        """
        trials = self._study.get_trials(deepcopy=False)
        failed = failed_trials(trials)
        size, of = self._settings.n_trials, "n_trials"
        made = len(slot_trials(trials))
        if self._race is not None and made > size:
            size, of = made, "the race's trials"
        allowed = max_failures(size, self._settings.max_failure_rate)
        if len(failed) > allowed:
            last = failed[-1]
            raise StudyStopped(
                f"study {self._settings.study_name!r}: {len(failed)} failed trials exceed "
                f"max_failure_rate={self._settings.max_failure_rate} of {of}="
                f"{size}; last: trial {last.number}: "
                f"{last.user_attrs.get(FAIL_REASON, 'no reason recorded')}"
            )

    def claim(self) -> Claim | None:
        """The next trial to run, or None when every slot is taken; then call ``sample``."""
        with self._exclusive():
            reap_stale_trials(self._study)
            self.check_failures()
            trials = self._study.get_trials(deepcopy=False)
            waiting = any(t.state == TrialState.WAITING for t in trials)
            if self._race is not None:  # the race ends by its budget, not by a trial count
                if not waiting and self._race.finished(trials):
                    return None
            elif not waiting and len(slot_trials(trials)) >= self._settings.n_trials:
                return None
            # Reseed per trial: reproducible, and no two trials replay one random stream.
            self._study.sampler = build_sampler(self._settings.sampler, len(trials))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Heartbeat of storage")
                trial = self._study.ask()
            heartbeat = HeartbeatThread(storage_of(self._study), trial_id_of(trial))
            heartbeat.start()
            claim = Claim(trial, heartbeat)
            try:
                if self._lock is None and self._race is None and not self._within_budget(trial):
                    heartbeat.stop()
                    self._discard(trial)
                    return None
            except BaseException as exc:
                self._abandon(claim, exc)
            return claim

    def sample(self, claim: Claim) -> bool:
        """Wait for the trial's history (``_history``), then draw its parameters.

        Outside the claim lock: the wait may be long, and Ctrl-C must reach it (the
        caller then marks the trial FAIL as interrupted, as during training). False: a
        race had nothing left for this trial, which is discarded, not run.
        """
        trial, lag = claim.trial, self._settings.history_lag or 0
        try:
            waited = wait_for_history(self._study, trial.number, lag, self._poll_seconds(),
                                      self._reap) if lag else 0.0
            if waited >= 1.0:
                trial.set_user_attr(HISTORY_WAIT, round(waited, 1))
            # Seeded by the trial number the storage assigned: unique, even for enqueued
            # points (WAITING trials), which all exist before the first one runs.
            sampler = build_sampler(self._settings.sampler, trial.number)
            if self._race is not None:
                self._race.wait_for_assignments(self._study, trial.number, self._poll_seconds(),
                                                self._reap)
                overrides = self._race.assign(self._study, trial, sampler, lag, self._space,
                                              self._parser)
                if overrides is None:
                    claim.heartbeat.stop()
                    self._discard(trial, "Discarded: the race had nothing left to run")
                    return False
                claim.overrides = overrides
                return True
            self._study.sampler = LaggedSampler(sampler, lag) if lag else sampler
            claim.overrides = suggest_overrides(trial, self._space, self._parser)
        except Exception as exc:
            self._abandon(claim, exc)
        return True

    def _poll_seconds(self) -> float:
        return min(5.0, float(self._settings.heartbeat_interval or 5))

    def _reap(self) -> None:
        with self._exclusive():
            reap_stale_trials(self._study)

    def _abandon(self, claim: Claim, exc: BaseException) -> NoReturn:
        """FAIL a trial that never started, with the reason; re-raise Ctrl-C as it is."""
        claim.heartbeat.stop()
        reason = one_line(exc)
        claim.trial.set_user_attr(FAIL_REASON, reason)
        self._study.tell(claim.trial, state=TrialState.FAIL)
        if isinstance(exc, Exception):
            raise StudyStopped(f"trial {claim.trial.number} could not start: {reason}") from None
        raise exc

    def _within_budget(self, trial: optuna.Trial) -> bool:
        numbers = [t.number for t in slot_trials(self._study.get_trials(deepcopy=False))]
        return trial.number in numbers[: self._settings.n_trials]

    def _discard(self, trial: optuna.Trial,
                 reason: str = "Discarded: created past n_trials by a racing worker; never run",
                 ) -> None:
        log.info("trial %d: discarded, never run (%s)", trial.number, reason)
        trial.set_user_attr(DISCARDED, True)
        trial.set_user_attr(FAIL_REASON, reason)
        self._study.tell(trial, state=TrialState.FAIL)
