"""The memory figures metrics.json records follow what the process really holds."""

from __future__ import annotations

from tfod_sweep.memory import memory_snapshot


def test_snapshot_sees_memory_the_process_touches():
    before = memory_snapshot()
    block = bytearray(300 * 1024 * 1024)  # 300 MiB, zero-filled, so really resident
    during = memory_snapshot()
    del block
    assert during["rss_mb"] - before["rss_mb"] > 250
    assert during["peak_rss_mb"] >= during["rss_mb"] > 0
    # Freed, the block leaves the resident size but stays in the peak.
    assert memory_snapshot()["peak_rss_mb"] - before["rss_mb"] > 250
