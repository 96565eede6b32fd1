"""Keep a running trial's heartbeat and reclaim trials whose worker died.

Optuna only runs heartbeats inside ``Study.optimize``; our sweeper drives trials with
ask/tell around Hydra's launcher, so it beats and reaps itself with the same storage
hooks (``record_heartbeat`` / ``_get_stale_trial_ids`` of ``BaseHeartbeat``). Reaping
also writes a ``fail_reason``, which Optuna's ``fail_stale_trials`` does not.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON
from hydra_plugins.tfod_optuna_sweeper._optuna_private import (
    BaseHeartbeat,
    is_heartbeat_enabled,
    stale_trial_ids,
    storage_of,
    study_id_of,
)

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

log = logging.getLogger(__name__)


class HeartbeatThread:
    """Daemon thread that records a heartbeat for one trial until stopped."""

    def __init__(self, storage: BaseStorage, trial_id: int) -> None:
        self._storage = storage
        self._trial_id = trial_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Beat once now (so the trial is never heartbeat-less for long), then periodically."""
        if not is_heartbeat_enabled(self._storage):
            return
        assert isinstance(self._storage, BaseHeartbeat)
        self._beat()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{self._trial_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop beating; must happen before the trial is told, so no beat lands after it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        assert isinstance(self._storage, BaseHeartbeat)
        interval = self._storage.get_heartbeat_interval() or 1
        while not self._stop.wait(interval):
            if not self._beat():
                return

    def _beat(self) -> bool:
        assert isinstance(self._storage, BaseHeartbeat)
        try:
            self._storage.record_heartbeat(self._trial_id)
            return True
        except UpdateFinishedTrialError:
            log.warning(
                "trial id %d was finished by another worker (its heartbeat was late)",
                self._trial_id,
            )
            return False
        except Exception as exc:  # a transient storage hiccup must not kill the trial
            log.warning("heartbeat of trial id %d failed: %s", self._trial_id, exc)
            return True


def reap_stale_trials(study: optuna.Study) -> list[int]:
    """Fail RUNNING trials whose heartbeat stopped, then let the storage retry them.

    Returns the numbers of the trials this call failed. Safe against another worker
    reaping the same trial at the same time: the loser sees UpdateFinishedTrialError.
    """
    storage = storage_of(study)
    if not isinstance(storage, BaseHeartbeat) or not is_heartbeat_enabled(storage):
        return []
    interval = storage.get_heartbeat_interval()
    reaped = []
    for trial_id in stale_trial_ids(storage, study_id_of(study)):
        try:
            storage.set_trial_user_attr(  # type: ignore[attr-defined]
                trial_id,
                FAIL_REASON,
                f"WorkerLost: no heartbeat for over the grace period (interval {interval}s); "
                "the worker was killed or crashed",
            )
            if not storage.set_trial_state_values(  # type: ignore[attr-defined]
                trial_id, state=TrialState.FAIL
            ):
                continue
        except UpdateFinishedTrialError:
            continue
        frozen = storage.get_trial(trial_id)  # type: ignore[attr-defined]
        reaped.append(frozen.number)
        log.warning("trial %d lost its worker (no heartbeat): marked FAIL", frozen.number)
        callback = storage.get_heartbeat_stale_trial_callback()
        if callback is not None:
            callback(study, frozen)
    return reaped
