"""Latency of one call at batch 1: warm-up calls first, then median and p90 (TF-free)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Latency:
    """Milliseconds per call over `calls` timed calls, after `warmup` untimed ones."""

    median_ms: float
    p90_ms: float
    calls: int
    warmup: int

    def to_dict(self) -> dict[str, Any]:
        return {"median_ms": round(self.median_ms, 3), "p90_ms": round(self.p90_ms, 3),
                "calls": self.calls, "warmup": self.warmup}


class Stopwatch:
    """Times each call of a function; `summary()` gives median and p90 in ms."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self._seconds: list[float] = []

    def warm_up(self, call: Callable[[], Any]) -> None:
        """The first calls trace graphs and fill caches: run them untimed."""
        for _ in range(self.warmup):
            call()

    def time(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        self._seconds.append(time.perf_counter() - started)
        return result

    def summary(self) -> Latency:
        if not self._seconds:
            raise ValueError("no call was timed")
        ms = np.asarray(self._seconds) * 1000.0
        return Latency(median_ms=float(np.median(ms)), p90_ms=float(np.percentile(ms, 90)),
                       calls=len(ms), warmup=self.warmup)
