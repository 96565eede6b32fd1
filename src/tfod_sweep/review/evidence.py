"""The best run's own evidence in a report: its per-class AP@.50 bars and preview.png.

Both come from the run dir, not the storage: per-class AP lives in metrics.json and the
preview picture is a file. Either may be missing (an older run, a run dir on another
machine); the report then says so in one line instead of failing.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from tfod_sweep.review.document import Block, Figure, Note
from tfod_sweep.review.plots import per_class_bar_chart
from tfod_sweep.run_metrics import RunMetrics

PER_CLASS_FILE = "per_class_ap50.png"
PREVIEW_NAME = "preview.png"
PREVIEW_FILE = "best_preview.png"


def best_run_evidence(run_dir: Path | None, label: str, out_dir: Path) -> list[Block]:
    """Per-class bars and the preview of `run_dir`, each a Figure or a Note saying why not."""
    if run_dir is None:
        return [Note(f"{label}: its run dir was not found, so no per-class AP or preview")]
    return [_per_class(run_dir, label, out_dir), _preview(run_dir, label, out_dir)]


def _per_class(run_dir: Path, label: str, out_dir: Path) -> Block:
    try:
        record = RunMetrics.load(run_dir)
    except (OSError, ValueError):
        return Note(f"per-class AP@.50 of {label}: no readable metrics.json in {run_dir}")
    if not record.per_class:
        return Note(f"per-class AP@.50 of {label}: its metrics.json has no per_class")
    try:
        title = textwrap.fill(f"per-class AP@.50, {label}", width=60)  # long run names
        per_class_bar_chart(record.per_class, out_dir / PER_CLASS_FILE, title=title)
    except ValueError as error:  # no class with ground truth in the val set
        return Note(f"per-class AP@.50 of {label}: {error}")
    where = "" if run_dir.name == label else f" ({run_dir.name})"  # which seed's run
    return Figure(PER_CLASS_FILE, f"per-class AP@.50 of {label}{where}")


def _preview(run_dir: Path, label: str, out_dir: Path) -> Block:
    source = run_dir / PREVIEW_NAME
    if not source.is_file():
        return Note(f"preview of {label}: no {PREVIEW_NAME} in {run_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out_dir / PREVIEW_FILE)
    return Figure(PREVIEW_FILE, f"{label}: val images with ground truth and detections")
