"""Chaos and load on the toy study: kill storms, the "nothing lost" check, connection counts.

Shared by the chaos tests and ``benchmarks/study_load.py``, so the figures in the
reliability table come from the code the tests run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from optuna.trial import FrozenTrial, TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import DISCARDED, RETRY_HISTORY
from hydra_plugins.tfod_optuna_sweeper._budget import slot_trials
from tests.study.postgres_server import PostgresServer

UNFINISHED = (TrialState.RUNNING, TrialState.WAITING)


@dataclass
class Wholeness:
    """What a finished study says about the chaos it went through."""

    slots: int
    lost: int
    """Trials whose worker died and that a retry replaced (0 trials lost for good)."""
    discarded: int


def assert_whole(trials: list[FrozenTrial], n_trials: int) -> Wholeness:
    """The study reached ``n_trials``, every slot finished once, no duplicate, none running.

    A trial whose worker was killed is FAIL and retried exactly once by a later trial,
    which takes its slot; a racing worker's surplus trial is FAIL and ``discarded``.
    """
    numbers = sorted(t.number for t in trials)
    assert numbers == list(range(len(trials))), f"duplicate or missing numbers: {numbers}"
    assert not [t.number for t in trials if t.state in UNFINISHED], "trials left unfinished"
    slots = slot_trials(trials)
    assert len(slots) == n_trials, f"{len(slots)} slots, not {n_trials}"
    assert all(t.state == TrialState.COMPLETE for t in slots), [
        (t.number, t.state.name, t.user_attrs.get("fail_reason")) for t in slots]
    retried_by: dict[int, int] = defaultdict(int)
    for trial in trials:
        history = trial.system_attrs.get(RETRY_HISTORY) or []
        if history:
            retried_by[int(history[-1])] += 1
    discarded = [t for t in trials if t.user_attrs.get(DISCARDED)]
    others = {t.number for t in slots} | {t.number for t in discarded}
    lost = [t for t in trials if t.number not in others]
    for trial in lost:
        assert trial.state == TrialState.FAIL, (trial.number, trial.state)
        assert retried_by[trial.number] == 1, f"trial {trial.number} retried " \
                                              f"{retried_by[trial.number]} times"
    for trial in discarded:
        assert trial.state == TrialState.FAIL and "pid" not in trial.user_attrs
    return Wholeness(len(slots), len(lost), len(discarded))


def assert_journal_readable(path: Path) -> int:
    """Every line of the journal file is whole JSON; returns the number of lines."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the journal ends in a half-written line"
    lines = data.splitlines()
    for number, line in enumerate(lines, 1):
        json.loads(line)  # raises on a torn or interleaved line
        assert line.strip(), f"empty line {number}"
    return len(lines)


@dataclass
class KillStorm:
    """Keeps ``workers`` sweeps running and SIGKILLs a random one every so often.

    Each victim is replaced at once by a fresh worker (a re-run of the same command), so
    the study goes on; the kills stop after ``kills`` or once the study is done.
    """

    start_worker: Callable[[str], subprocess.Popen[str]]
    workers: int = 3
    kills: int = 10
    pause: tuple[float, float] = (0.3, 1.2)
    #: Only workers at least this old are killed: past start-up, most are inside a trial.
    min_age: float = 3.0
    #: If given, only workers it says are inside a trial (by worker name) are killed.
    in_trial: Callable[[str], bool] | None = None
    seed: int = 0
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    killed: int = 0

    def run(self, done: Callable[[], bool], deadline: float, exit_timeout: float = 300) -> None:
        """Storm until ``kills`` are done, then wait for every worker to exit.

        ``deadline`` bounds the storm only; the workers left then get ``exit_timeout`` of
        their own to finish the study (a slow storm on a loaded machine must not eat the
        time the study needs to finish). A victim that had already exited when the signal
        landed (it finished between the look and the kill) is not counted as a kill.
        """
        rng = random.Random(self.seed)
        live = [self.start_worker(f"w{i}") for i in range(self.workers)]
        born = {p.pid: time.monotonic() for p in live}
        names = {p.pid: f"w{i}" for i, p in enumerate(live)}
        self.procs.extend(live)
        end = time.monotonic() + deadline
        started = len(live)
        while self.killed < self.kills and not done() and time.monotonic() < end:
            time.sleep(rng.uniform(*self.pause))
            now = time.monotonic()
            running = [p for p in live if p.poll() is None and now - born[p.pid] >= self.min_age
                       and (self.in_trial is None or self.in_trial(names[p.pid]))]
            if not running:
                if not [p for p in live if p.poll() is None]:
                    break
                continue
            victim = rng.choice(running)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            if victim.returncode == -signal.SIGKILL:
                self.killed += 1
            live.remove(victim)
            live.append(self.start_worker(f"w{started}"))
            born[live[-1].pid] = time.monotonic()
            names[live[-1].pid] = f"w{started}"
            self.procs.append(live[-1])
            started += 1
        exits_by = time.monotonic() + exit_timeout
        for proc in live:
            proc.wait(timeout=max(5.0, exits_by - time.monotonic()))


@dataclass
class ConnectionSampler:
    """Samples ``pg_stat_activity`` of one database: connections per worker process.

    Workers name their connections ``tfod-sweep:<pid>`` (the sweeper's engine sets
    ``application_name``), so each sample counts each worker's open connections.
    """

    server: PostgresServer
    database: str
    interval: float = 0.1
    samples: list[dict[str, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ConnectionSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        query = ("SELECT application_name, count(*) FROM pg_stat_activity "
                 f"WHERE datname = '{self.database}' AND application_name LIKE 'tfod-sweep:%' "
                 "GROUP BY 1")
        while not self._stop.wait(self.interval):
            try:
                rows = self.server.query(query)
            except Exception:  # the server may be restarting: skip the sample
                continue
            self.samples.append({name: int(count) for name, count in rows})

    def per_worker(self, pids: list[int] | None = None) -> tuple[int, float]:
        """(max, mean) connections of one worker over the samples, zeros included.

        ``pids``: these workers (else every worker seen in any sample). A worker holding
        no connection at a sample counts 0 there, so the mean is what it holds on average.
        """
        if pids is None:
            names = {name for sample in self.samples for name in sample}
        else:
            names = {f"tfod-sweep:{pid}" for pid in pids}
        counts = [sample.get(name, 0) for sample in self.samples for name in names]
        if not counts:
            return 0, 0.0
        return max(counts), sum(counts) / len(counts)

    def total_max(self) -> int:
        """The most connections the study had open at once."""
        return max((sum(sample.values()) for sample in self.samples), default=0)


def claims_per_second(trials: list[FrozenTrial]) -> float:
    """Trials created per second, from the first start to the last completion."""
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    seconds = (max(ends) - min(starts)).total_seconds()
    return len(trials) / seconds if seconds > 0 else float("inf")


def scan_for(paths: list[Path], words: tuple[str, ...]) -> list[str]:
    """``path: word`` for every file of ``paths`` (recursively) that contains a word."""
    hits = []
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            text = path.read_bytes()
            hits += [f"{path}: {w}" for w in words if w.encode() in text]
    return hits


def in_trial(out: str) -> bool:
    """From a worker's log: it has launched a trial whose end it has not logged yet."""
    launched = len(re.findall(r"\] trial \d+: hparams_search=", out))
    ended = len(re.findall(r"\] trial \d+: (?:COMPLETE|PRUNED|FAIL)", out))
    return launched > ended
