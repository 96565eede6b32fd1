"""The sweeper's error type: one line on stderr and exit code 1, never a traceback.

Hydra prints a ``CompactHydraException`` as its message alone and exits 1; being a
``SweepError`` too lets the app's own error handling treat it like its other errors.
"""

from __future__ import annotations

from hydra.errors import CompactHydraException

from tfod_sweep.errors import SweepError


class SweeperError(SweepError, CompactHydraException):
    """Bad sweeper settings, an unusable storage, too many failures, or an interrupt."""
