"""Daemons the test fixtures start never outlive the test run that started them.

A throwaway PostgreSQL server or SLURM cluster lives in a temp dir (``/tmp/tfod-pg-*``,
``/tmp/tfod-slurm-*``). Its fixture stops it at the end, also when a test fails or the
run is stopped with Ctrl-C or SIGTERM (``sigterm_as_interrupt``; ``sigint_default``
makes Ctrl-C work even when the run was launched with SIGINT ignored). Only a run that is
SIGKILLed (or whose machine dies) leaves one behind; the next start clears those:

* ``claim`` writes ``owner`` (pid and start time of the test process) into the dir;
* ``clear_stale`` stops every process tied to a dir whose owner is gone (its command line
  or environment names the dir: the daemons, SLURM's job steps and their jobs) and
  deletes the dir. Dirs of a run still going on (another user's, in parallel) and dirs
  without an ``owner`` file are left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

OWNER = "owner"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of its stat), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def claim(root: Path) -> None:
    """Mark ``root`` as this process's: ``clear_stale`` leaves it alone while we live."""
    pid = os.getpid()
    (root / OWNER).write_text(f"{pid} {_start_time(pid)}\n")


def _owner_alive(root: Path) -> bool | None:
    """True/False for a dir with an ``owner`` file, None without one (not ours to judge)."""
    try:
        pid, started = (root / OWNER).read_text().split()
    except (OSError, ValueError):
        return None
    return _start_time(int(pid)) == started


def processes_of(root: Path) -> list[int]:
    """Pids whose command line or environment names ``root`` (never this process)."""
    needle = str(root).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        for part in ("cmdline", "environ"):
            try:
                if needle in (entry / part).read_bytes():
                    found.append(int(entry.name))
                    break
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return found


def end_processes(pids: list[int], first: signal.Signals = signal.SIGTERM,
                  wait: float = 20.0) -> list[int]:
    """Send ``first``, wait up to ``wait`` s for them to go, SIGKILL the rest; the killed."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, first)
    end = time.monotonic() + wait
    alive = list(pids)
    while alive and time.monotonic() < end:
        time.sleep(0.2)
        alive = [pid for pid in alive if _running(pid)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie's parent has not reaped it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def clear_stale(pattern: str, first: signal.Signals = signal.SIGTERM) -> list[Path]:
    """Stop the processes of, and delete, every ``/tmp`` dir matching ``pattern`` whose
    owner is gone; returns the dirs cleared."""
    cleared = []
    for root in sorted(Path("/tmp").glob(pattern)):
        if not root.is_dir() or _owner_alive(root) is not False:
            continue
        end_processes(processes_of(root), first)
        shutil.rmtree(root, ignore_errors=True)
        cleared.append(root)
    return cleared


@contextlib.contextmanager
def _handling(signum: int, handler: Any) -> Iterator[None]:
    """Install `handler` for `signum` while inside; outside the main thread, change nothing."""
    try:
        previous = signal.signal(signum, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)


def sigint_default() -> contextlib.AbstractContextManager[None]:
    """Ctrl-C raises KeyboardInterrupt here, and children start with SIGINT at its default.

    A process launched in the background by a shell without job control starts with SIGINT
    ignored, and children inherit an ignored signal (not a handler) across exec.
    """
    return _handling(signal.SIGINT, signal.default_int_handler)


def sigterm_as_interrupt() -> contextlib.AbstractContextManager[None]:
    """SIGTERM (a CI job's timeout, ``kill``) raises KeyboardInterrupt in the test process.

    pytest then runs the fixtures' teardown, which stops the daemons; by default SIGTERM
    ends the process at once and leaves them running.
    """
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    return _handling(signal.SIGTERM, interrupt)
