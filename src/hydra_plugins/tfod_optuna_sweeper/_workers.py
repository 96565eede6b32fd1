"""Extra local worker processes for ``n_jobs > 1``.

TensorFlow/Keras keep global state, so two trainings cannot share a process; each extra
worker is therefore a copy of the very command the user ran (``sys.orig_argv``, so
``python -m sweep ...`` stays ``python -m sweep ...``) with ``hydra.sweeper.n_jobs=1``
and the already-resolved ``hydra.sweep.dir`` and ``hydra.sweeper.history_lag``. Workers
coordinate only through the storage: each takes the next free trial the moment it is
idle (after its history has finished, see ``_history``), so there are no batches.

Each worker, this one included, gets ``cores // n_jobs`` TensorFlow threads: with the
default pools every process would start one thread per core, and two trainings on 2
cores would then fight over them.

Workers run in their own session, so a terminal Ctrl-C reaches only this process, which
forwards exactly one SIGINT to each worker; every worker then marks its own running
trial FAIL. If this process is SIGKILLed the workers carry on as ordinary workers.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from hydra.core.override_parser.types import Quote, QuotedString

log = logging.getLogger(__name__)

WORKER_ENV = "TFOD_SWEEP_WORKER"
_REPLACED = ("hydra.sweeper.n_jobs=", "hydra.sweep.dir=", "hydra.sweeper.history_lag=")


def is_extra_worker() -> bool:
    """True in a process started by :class:`WorkerPool` (it prints no study summary)."""
    return bool(os.environ.get(WORKER_ENV))


#: The thread-pool sizes TensorFlow reads when it starts (the sweeper imports no TF).
INTRA_OP, INTER_OP = "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"


def cores() -> int:
    """Logical cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


#: The launcher that runs each trial inside the worker process itself.
LOCAL_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


def share_cores(n_jobs: int, launcher: str | None) -> None:
    """Give this process (and the workers it starts) ``cores // n_jobs`` TF threads.

    Environment variables, read when TensorFlow starts its thread pools, because no
    trial has imported TensorFlow yet; values the user set are kept. Only for trials
    that run here: a SLURM job has its own node's cores (and inherits this environment).
    """
    if n_jobs < 2 or launcher != LOCAL_LAUNCHER:
        return
    threads = str(max(1, cores() // n_jobs))
    for name in (INTRA_OP, INTER_OP):
        os.environ.setdefault(name, threads)
    log.info("%d workers, %s intra-op and %s inter-op thread(s) each", n_jobs,
             os.environ[INTRA_OP], os.environ[INTER_OP])


def worker_command(sweep_dir: Path, history_lag: int) -> list[str]:
    """This process's command line, made into a single-worker copy of itself."""
    argv = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    args = [a for a in argv[1:] if not a.lstrip("+").startswith(_REPLACED)]
    quoted_dir = QuotedString(text=str(sweep_dir), quote=Quote.single).with_quotes()
    return [sys.executable, *args, "hydra.sweeper.n_jobs=1", f"hydra.sweep.dir={quoted_dir}",
            f"hydra.sweeper.history_lag={history_lag}"]


class WorkerPool:
    """Starts, interrupts and waits for the extra worker processes."""

    def __init__(self, count: int, sweep_dir: Path, history_lag: int) -> None:
        self._count = count
        self._sweep_dir = sweep_dir
        self._history_lag = history_lag
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Launch the workers; they inherit stdout/stderr so their logs stay visible."""
        command = worker_command(self._sweep_dir, self._history_lag)
        for index in range(1, self._count + 1):
            env = dict(os.environ, **{WORKER_ENV: str(index)})
            self._procs.append(subprocess.Popen(command, env=env, start_new_session=True))
            log.info("started worker %d (pid %d)", index, self._procs[-1].pid)

    def interrupt(self) -> None:
        """Ask every live worker to stop (they mark their running trial FAIL)."""
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass

    def wait(self) -> list[int]:
        """Wait for all workers; returns their exit codes."""
        return [proc.wait() for proc in self._procs]
