"""Every private Optuna name the sweeper uses, in one place.

Optuna does not promise these between releases. Keeping them here means an upgrade that
moves one breaks this module and its test (tests/study/test_optuna_private.py), which
names what moved, rather than a sweep at run time. pyproject pins the Optuna range that
test has passed on.

Three private methods are overridden by name elsewhere (an override must repeat the
name): ``_get_stale_trial_ids`` by the journal and PostgreSQL storages (``_journal``,
``_rdb``) and ``Study._get_trials`` by the history view (``_history``); the test checks
that Optuna still has them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import BaseHeartbeat, is_heartbeat_enabled
from optuna.storages.journal._file import BaseJournalFileLock
from optuna.trial import FrozenTrial

__all__ = [
    "BaseHeartbeat",
    "BaseJournalFileLock",
    "CACHED_STORAGE_METHODS",
    "FIXED_PARAMS",
    "OVERRIDDEN",
    "is_heartbeat_enabled",
    "rdb_models",
    "rdb_session",
    "stale_trial_ids",
    "storage_of",
    "study_id_of",
    "trial_id_of",
]

FIXED_PARAMS = "fixed_params"
"""System attr of a trial made by ``enqueue_trial``: the point it was given."""

CACHED_STORAGE_METHODS = ("_create_new_trial", "_get_trials", "_set_trial_param",
                          "_get_best_trial_id")
"""What Optuna's ``_CachedStorage`` (wrapping every RDBStorage in a Study) calls on it."""

OVERRIDDEN = {"optuna.storages.RDBStorage": "_get_stale_trial_ids",
              "optuna.storages._heartbeat.BaseHeartbeat": "_get_stale_trial_ids",
              "optuna.study.Study": "_get_trials"}
"""Private methods our subclasses override by name, by the class that defines them."""


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage a Study was opened on (Optuna keeps no public handle)."""
    return study._storage


def study_id_of(study: optuna.Study) -> int:
    return study._study_id


def trial_id_of(trial: optuna.Trial | FrozenTrial) -> int:
    """The storage's id of a trial (its ``number`` counts within the study only)."""
    return trial._trial_id


def stale_trial_ids(storage: BaseHeartbeat, study_id: int) -> list[int]:
    """RUNNING trials whose heartbeat stopped, as the storage judges it."""
    return storage._get_stale_trial_ids(study_id)


def rdb_models() -> Any:
    """Optuna's SQLAlchemy models (``TrialModel`` and its heartbeats)."""
    from optuna.storages._rdb import models

    return models


def rdb_session(scoped_session: Any, commit: bool) -> AbstractContextManager[Any]:
    """A session of an RDBStorage, committed (or rolled back) as Optuna does its own."""
    from optuna.storages._rdb.storage import _create_scoped_session

    return _create_scoped_session(scoped_session, commit)
