"""An inter-process lock on a local file, released by the kernel when its holder dies.

The sweeper holds it around "count the study's trials, then create one" so that two
workers sharing a file storage can never both take the last slot of ``n_trials``.
``fcntl.flock`` is used rather than a lock *file* because a worker killed with SIGKILL
while holding it must not block the others: the kernel drops a flock with the process.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` body."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
