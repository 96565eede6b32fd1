"""What a SIGKILLed test run leaves in /tmp is cleared by the next one, and only that."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.study.leftovers import (
    OWNER,
    claim,
    clear_stale,
    processes_of,
    sigint_default,
    sigterm_as_interrupt,
)

PATTERN = "tfod-leftover-test-*"


@pytest.fixture
def dirs() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def _dir(dirs: list[Path]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="tfod-leftover-test-", dir="/tmp"))
    dirs.append(root)
    return root


def _daemon(root: Path, *, by_env: bool) -> subprocess.Popen[bytes]:
    """A stand-in daemon naming ``root`` in its command line or only in its environment."""
    code = "import time; time.sleep(600)"
    if by_env:
        return subprocess.Popen([sys.executable, "-c", code],
                                env={**os.environ, "SLURM_CONF": str(root / "slurm.conf")})
    return subprocess.Popen([sys.executable, "-c", code, str(root / "data")])


def test_a_dead_runs_daemons_are_ended_and_its_dir_deleted(dirs: list[Path]) -> None:
    stale = _dir(dirs)
    # The owner: a process that has exited (its pid then names no process of that start).
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    (stale / OWNER).write_text(f"{gone.stdout.strip()} 0\n")
    daemons = [_daemon(stale, by_env=False), _daemon(stale, by_env=True)]
    try:
        assert sorted(processes_of(stale)) == sorted(p.pid for p in daemons)
        assert clear_stale(PATTERN) == [stale]
        for proc in daemons:
            assert proc.wait(timeout=30) == -signal.SIGTERM
        assert not stale.exists()
    finally:
        for proc in daemons:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_a_live_runs_dir_and_a_dir_without_owner_are_left_alone(dirs: list[Path]) -> None:
    ours, unknown = _dir(dirs), _dir(dirs)
    claim(ours)  # this process: alive
    daemons = [_daemon(ours, by_env=False), _daemon(unknown, by_env=True)]
    try:
        assert clear_stale(PATTERN) == []
        assert all(proc.poll() is None for proc in daemons)
        assert ours.exists() and unknown.exists()
    finally:
        for proc in daemons:
            proc.kill()
            proc.wait()


def test_sigterm_raises_keyboard_interrupt_so_fixtures_tear_down() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler's KeyboardInterrupt cuts this short
    assert signal.getsignal(signal.SIGTERM) is before


def test_children_start_with_sigint_at_its_default_even_if_it_was_ignored() -> None:
    code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under `cmd &` in a script
    try:
        ignored = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        with sigint_default():
            default = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                     text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert ignored.stdout.strip() == "True"  # what the SIGINT test's sweeps inherited
    assert default.stdout.strip() == "False"
