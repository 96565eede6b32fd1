"""A server-database storage (PostgreSQL, MySQL) that rides out restarts and holds no idle link.

Why a subclass of Optuna's ``RDBStorage``:

* **Connections.** Optuna's default engine keeps a pool of up to 5+10 connections per
  storage, and a worker has two storages (the sweeper's and its job's reporter), so a
  worker held about 4 and PostgreSQL's default ``max_connections=100`` capped a study at
  about 25 workers. Here the engine uses ``NullPool``: a connection lives for one storage
  call, so an idle worker (waiting for a free slot, or inside a trial between reports)
  holds none, and a busy one at most one per thread. The price is one connect per call,
  a few milliseconds on a LAN, small next to a trial. Each connection is named
  ``tfod-sweep:<pid>`` (``application_name``) so ``pg_stat_activity`` shows whose it is.
* **Restarts.** When the server restarts, every call fails with an ``OperationalError``
  until it is back. Each storage call is retried with backoff for up to
  ``outage_seconds``; only then the error goes up (and the worker stops with one line).
  A call that already committed before its answer was lost is safe to repeat: the
  writes are upserts, a repeated tell that finds the trial finished in the requested
  state is success, and a trial created twice is caught by the next point.
* **Heartbeat-less trials.** Optuna only reaps RUNNING trials that have a heartbeat row;
  a worker killed between ``ask`` and its first beat (or a create repeated after a lost
  answer) left its trial RUNNING forever. Those are stale too once their start is older
  than the grace period, as in the journal storage.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._optuna_private import (
    CACHED_STORAGE_METHODS,
    rdb_models,
    rdb_session,
)

log = logging.getLogger(__name__)
_F = TypeVar("_F", bound=Callable[..., Any])

#: How long one storage call keeps retrying while the server is unreachable.
OUTAGE_SECONDS = 120.0
_RETRIED = (
    "create_new_study", "delete_study", "set_study_user_attr", "set_study_system_attr",
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions",
    "get_study_user_attrs", "get_study_system_attrs", "get_all_studies", "create_new_trial",
    "set_trial_param", "get_trial_id_from_study_id_trial_number", "get_trial_param",
    "set_trial_state_values", "set_trial_intermediate_value", "set_trial_user_attr",
    "set_trial_system_attr", "get_trial", "get_all_trials", "get_best_trial",
    "record_heartbeat", "_get_stale_trial_ids",
    # What Optuna's _CachedStorage (which wraps every RDBStorage in a Study) calls instead.
    *CACHED_STORAGE_METHODS,
)  # fmt: skip


def engine_kwargs(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options for a server database: no pool, named connections."""
    from sqlalchemy.pool import NullPool

    # Fail in seconds, not minutes, when the database host does not answer.
    connect: dict[str, Any] = {"connect_timeout": 10}
    if url.startswith("postgresql"):
        connect["application_name"] = f"tfod-sweep:{os.getpid()}"
    return {"poolclass": NullPool, "connect_args": connect}


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the server could not be talked to."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OperationalError, InterfaceError)):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_state = threading.local()


def _retrying(name: str, method: _F) -> _F:
    @functools.wraps(method)
    def call(self: ResilientRDBStorage, *args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "active", False):  # an inner call: the outer one retries
            return method(self, *args, **kwargs)
        _state.active = True
        try:
            return self._with_retries(name, method, args, kwargs)
        finally:
            _state.active = False

    return call  # type: ignore[return-value]


class ResilientRDBStorage(RDBStorage):
    """``RDBStorage`` that retries through server outages and reaps beat-less trials."""

    outage_seconds: float = OUTAGE_SECONDS

    def _with_retries(self, name: str, method: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        deadline = time.monotonic() + self.outage_seconds
        delay, failed = 0.2, False
        while True:
            try:
                result = method(self, *args, **kwargs)
            except UpdateFinishedTrialError:
                if failed and name == "set_trial_state_values" and self._already(args, kwargs):
                    return True  # our own tell committed before the outage hid its answer
                raise
            except Exception as exc:
                if not is_connection_error(exc) or time.monotonic() + delay > deadline:
                    raise
                if not failed:
                    log.warning("storage unreachable (%s): retrying for up to %.0f s",
                                connection_reason(exc), self.outage_seconds)
                failed = True
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if failed:
                log.warning("storage reachable again; %s went through", name)
            return result

    def _already(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        trial_id = args[0] if args else kwargs["trial_id"]
        state = args[1] if len(args) > 1 else kwargs["state"]
        return bool(RDBStorage.get_trial(self, trial_id).state == state)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        """Optuna's stale trials plus RUNNING ones that never beat within the grace period."""
        stale = super()._get_stale_trial_ids(study_id)
        if self.heartbeat_interval is None:
            return stale
        grace = timedelta(seconds=self.grace_period or 2 * self.heartbeat_interval)
        models = rdb_models()
        from sqlalchemy import orm

        now = datetime.now()  # Optuna stamps datetime_start with the worker's local clock
        with rdb_session(self.scoped_session, True) as session:
            running = (
                session.query(models.TrialModel)
                .options(orm.selectinload(models.TrialModel.heartbeats))
                .filter(models.TrialModel.state == TrialState.RUNNING)
                .filter(models.TrialModel.study_id == study_id)
                .all()
            )
            for trial in running:
                start = trial.datetime_start
                if not trial.heartbeats and start is not None and now - start > grace:
                    stale.append(trial.trial_id)
        return stale


def connection_reason(exc: BaseException) -> str:
    """The first line of the innermost error (the driver's own words, no password)."""
    inner: BaseException = exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
    return (str(inner).strip().splitlines() or [type(inner).__name__])[0]


for _name in _RETRIED:
    _own = ResilientRDBStorage.__dict__.get(_name) or getattr(RDBStorage, _name)
    setattr(ResilientRDBStorage, _name, _retrying(_name, _own))
