"""Tell a full or read-only disk from a trial's own failure.

A trial that dies because its run dir cannot be written (disk full, quota, read-only or
forbidden folder) says nothing about its parameters, and every next trial would fail
the same way, burning the study's slots and failure budget. So such a FAIL is handed to
a retry (the slot is run again on resume, with the same parameters) and the worker stops
with one line; finished trials are untouched.
"""

from __future__ import annotations

import errno
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import HEARTBEAT

DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                         errno.EFBIG})


def disk_error(exc: BaseException | None) -> OSError | None:
    """The OSError in ``exc``'s chain that says the disk cannot be written, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def retry_later(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue a WAITING copy of ``trial`` that takes its slot, as for a lost worker.

    Like Optuna's ``RetryFailedTrialCallback`` (same ``failed_trial``/``retry_history``
    system attributes, which ``_budget.slot_trials`` reads), but the copy inherits no
    user attributes: the failed run's ``fail_reason`` and partial metrics are not the
    retry's.
    """
    system: dict[str, Any] = {"failed_trial": trial.number, "retry_history": [],
                              **trial.system_attrs}
    system.pop(HEARTBEAT, None)
    system["retry_history"] = [*system["retry_history"], trial.number]
    study.add_trial(optuna.create_trial(
        state=TrialState.WAITING, params=trial.params, distributions=trial.distributions,
        system_attrs=system,
    ))
