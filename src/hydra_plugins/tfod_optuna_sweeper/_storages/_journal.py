"""A journal-file storage that also keeps Optuna heartbeats.

Optuna 5's ``JournalStorage`` does not implement ``BaseHeartbeat`` (only ``RDBStorage``
does), so a worker killed with SIGKILL would leave its trial RUNNING forever. This
subclass adds the missing piece without a second store: each heartbeat is a trial
system attribute holding the Unix time, appended to the same journal, and a RUNNING
trial whose last heartbeat (or, before the first one, its start time) is older than the
grace period is stale. Optuna's own ``fail_stale_trials`` and
``RetryHeartbeatStaleTrialCallback`` then work on it unchanged.

It implements Optuna's internal ``BaseHeartbeat`` interface (not exported, but the one
``RDBStorage`` and ``fail_stale_trials`` use); ``optuna<6`` in pyproject pins it.

Cost: one short journal line per running trial per ``heartbeat_interval`` (about
1,400 lines for a day-long trial at 60 s), which replays in milliseconds. Clocks of
the workers must agree to within the grace period, as with any shared-file set-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import BaseJournalBackend
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import HEARTBEAT
from hydra_plugins.tfod_optuna_sweeper._optuna_private import BaseHeartbeat, trial_id_of

StaleCallback = Callable[["optuna.Study", FrozenTrial], None]


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """``JournalStorage`` whose trials record heartbeats as system attributes."""

    def __init__(
        self,
        backend: BaseJournalBackend,
        *,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        stale_callback: StaleCallback | None = None,
    ) -> None:
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval must be > 0, got {heartbeat_interval}")
        if grace_period is not None and grace_period <= 0:
            raise ValueError(f"grace_period must be > 0, got {grace_period}")
        super().__init__(backend)
        self._heartbeat_interval = heartbeat_interval
        self._grace_period = grace_period
        self._stale_callback = stale_callback

    def record_heartbeat(self, trial_id: int) -> None:
        """Append "trial ``trial_id`` is alive now" to the journal."""
        self.set_trial_system_attr(trial_id, HEARTBEAT, time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        """RUNNING trials not heard of for longer than the grace period."""
        if self._heartbeat_interval is None:
            return []
        grace = self._grace_period or 2 * self._heartbeat_interval
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            last = trial.system_attrs.get(HEARTBEAT)
            if last is None and trial.datetime_start is not None:
                last = trial.datetime_start.timestamp()
            if last is not None and now - float(last) > grace:
                stale.append(trial_id_of(trial))
        return stale

    def get_heartbeat_interval(self) -> int | None:
        """Seconds between heartbeats, or None when heartbeats are off."""
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> StaleCallback | None:
        """What to do with a trial found stale (retry or just fail)."""
        return self._stale_callback
