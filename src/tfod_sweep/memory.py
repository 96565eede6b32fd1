"""A process's resident memory, for metrics.json: a trial's footprint and its growth.

Trials of one worker share a process, so the peak is the worker's peak so far, and the
resident size at each trial's end shows whether memory grows from trial to trial.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")


def _status_mb(field: str) -> float | None:
    """A `/proc/self/status` size field in MiB (None off Linux)."""
    if not _STATUS.is_file():
        return None
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def resident_mb() -> float | None:
    """Resident set size now, in MiB (None where /proc does not exist)."""
    return _status_mb("VmRSS")


def peak_resident_mb() -> float:
    """The process's peak resident set size so far, in MiB.

    Linux's VmHWM where it exists; getrusage's figure can lag it by a page-accounting
    interval. Both are approximate under some kernels (sandboxes), hence the snapshot's
    max with the resident size.
    """
    high_water = _status_mb("VmHWM")
    if high_water is not None:
        return high_water
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def memory_snapshot() -> dict[str, float | None]:
    """``{"rss_mb": now, "peak_rss_mb": peak so far}``, rounded to 0.1 MiB."""
    now = resident_mb()
    peak = max(peak_resident_mb(), now or 0.0)
    return {"rss_mb": None if now is None else round(now, 1), "peak_rss_mb": round(peak, 1)}
