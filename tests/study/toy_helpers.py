"""Helpers to run the toy Hydra app through the real sweeper plugin and read its study.

Every sweep test goes through a real process and the real default storage (a journal
file under ``outputs/`` of a temporary working dir), exactly as a user would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial

TOY = Path(__file__).parent / "toy_app" / "toy.py"
_T = TypeVar("_T")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR",)}
    env.pop("TFOD_SWEEP_WORKER", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@dataclass
class Toy:
    """The toy sweep, run in its own working directory."""

    cwd: Path
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    #: Extra environment of every sweep (e.g. PGPASSWORD for ``${oc.env:PGPASSWORD}``).
    env: dict[str, str] = field(default_factory=dict)
    #: The toy app's hparams_search config: ``toy`` (the classic study) or ``race``.
    search: str = "toy"

    @property
    def journal(self) -> Path:
        """The sweeper's default storage, relative to the working dir."""
        return self.cwd / "outputs" / "studies" / "journal.log"

    def command(self, *args: str) -> list[str]:
        """``python toy.py -m hparams_search=<search> ARGS``."""
        return [sys.executable, str(TOY), "-m", f"hparams_search={self.search}", *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a sweep to its end."""
        return subprocess.run(
            self.command(*args),
            cwd=self.cwd,
            env=_env(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, name: str = "sweep") -> subprocess.Popen[str]:
        """Start a sweep in the background; its output goes to ``<name>.out/.err``."""
        out = (self.cwd / f"{name}.out").open("w")
        err = (self.cwd / f"{name}.err").open("w")
        proc = subprocess.Popen(
            self.command(*args), cwd=self.cwd, env=_env(self.env), stdout=out, stderr=err, text=True
        )
        out.close()
        err.close()
        self.procs.append(proc)
        return proc

    def output(self, name: str = "sweep") -> tuple[str, str]:
        """stdout and stderr of a background sweep."""
        return (self.cwd / f"{name}.out").read_text(), (self.cwd / f"{name}.err").read_text()

    def trials(self, study: str = "toy") -> list[FrozenTrial]:
        """All trials of ``study`` as the storage holds them now ([] before it exists)."""
        if not self.journal.exists():
            return []
        storage = JournalStorage(JournalFileBackend(str(self.journal)))
        try:
            return optuna.load_study(study_name=study, storage=storage).get_trials()
        except KeyError:
            return []


def wait_for(check: Callable[[], _T | None], what: str, deadline: float = 60.0) -> _T:
    """Poll ``check`` until it returns something truthy; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def last_line(text: str) -> str:
    """The last non-empty line of ``text``."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def racing_sampler(storage: str, study_name: str) -> optuna.samplers.BaseSampler:
    """Sampler factory that first lets a "racing worker" create a trial.

    The sweeper builds the sampler after counting free slots and before creating its
    own trial, so this reproduces, deterministically, two workers passing the count
    at the same moment on a storage without a claim lock.
    """
    optuna.load_study(study_name=study_name, storage=storage).ask()
    return optuna.samplers.RandomSampler(seed=0)


# A toy study with every end state and the evidence files: trials 0 and 1 learn, trial 2
# fails at its first step, trial 3 is pruned at its first (evidence and browser tests).
MIXED = (
    "evidence=true",
    "hydra.sweeper.enqueue=[{x:0.9},{x:0.8},{x:0.1},{x:0.2}]",
    "fail_x_below=0.15",
    "hydra.sweeper.pruner.n_startup_trials=2",
    "hydra.sweeper.pruner.n_warmup_steps=1",
    "hydra.sweeper.n_trials=4",
)
