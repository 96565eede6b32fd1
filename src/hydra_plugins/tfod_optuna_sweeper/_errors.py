"""The sweeper's error types: one line on stderr, never a traceback.

Bad input (settings, search space, an unusable storage) exits 2, like every other CLI
of tfod-sweep; a study that stopped on its own terms (an interrupt, too many failed
trials, a worker that died) exits 1.

Hydra prints a ``CompactHydraException`` as its message alone and exits 1; being a
``SweepError`` too lets the app's own error handling treat it like its other errors.
"""

from __future__ import annotations

from hydra.errors import CompactHydraException

from tfod_sweep.errors import BAD_INPUT, SweepError


class SweeperError(SweepError, CompactHydraException):
    """Bad sweeper settings, a bad search space or enqueue point, an unusable storage."""

    exit_code = BAD_INPUT


class StudyStopped(SweeperError):
    """The study stopped: an interrupt, too many FAIL trials, or a worker that died."""

    exit_code = 1
