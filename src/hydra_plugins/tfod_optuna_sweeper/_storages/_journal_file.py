"""The journal file's writer: a lock the kernel drops on SIGKILL, and no half-written line.

Optuna's default journal lock is a symlink beside the file. A worker SIGKILLed while it
holds it (each append fsyncs, so that is not rare under a kill storm) leaves the link,
and every other worker then waits 30 s for its grace period before breaking it. The
claim lock of this plugin is already an ``fcntl.flock`` next to the journal, so the
journal's own lock is one too: the kernel releases it with the dead process.

An append that fails half-way (disk full, quota) would leave a line without its end;
Optuna then refuses to read any line after it, so the whole study becomes unreadable.
While still holding the lock, the file is cut back to its length before the append.
"""

from __future__ import annotations

import fcntl
import json
import os
from typing import Any

from optuna.storages.journal import JournalFileBackend

from hydra_plugins.tfod_optuna_sweeper._optuna_private import BaseJournalFileLock


class FlockJournalLock(BaseJournalFileLock):
    """An exclusive ``flock`` on ``<journal>.flock``, held between acquire and release."""

    def __init__(self, journal: str) -> None:
        self._path = journal + ".flock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Block until this process holds the lock."""
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the next writer in."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


class SafeJournalFileBackend(JournalFileBackend):
    """``JournalFileBackend`` whose appends are all-or-nothing and whose lock is a flock."""

    def __init__(self, file_path: str) -> None:
        super().__init__(file_path, lock_obj=FlockJournalLock(file_path))

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` as whole lines, or leave the file as it was and raise."""
        data = ("\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n").encode()
        lock = self._lock
        lock.acquire()
        try:
            # Unbuffered: nothing is left in a buffer to be written after the cut.
            fd = os.open(self._file_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                except BaseException:
                    _cut(self._file_path, size)
                    raise
            finally:
                os.close(fd)
        finally:
            lock.release()


def _cut(path: str, size: int) -> None:
    """Truncate ``path`` back to ``size`` bytes; best effort (the error above matters more)."""
    try:
        os.truncate(path, size)
    except OSError:
        pass
