"""The two file primitives every part of tfod-sweep relies on: a lock and an atomic write.

One lock serves the dataset cache (generators of one dataset wait for each other) and the
sweeper (count trials, then create one). It is ``fcntl.flock`` on an open descriptor, not
a lock *file*: a process killed with SIGKILL while holding it must not block the others,
and the kernel drops a flock with its process. One atomic write serves metrics.json and
multirun.yaml: a crash leaves the previous file, never half of a new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` body."""
    import fcntl

    path = Path(path)
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


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, then rename it over ``path``.

    The temp name is unique, so concurrent writers (workers racing on multirun.yaml)
    never write into each other's file; the last rename wins whole.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
