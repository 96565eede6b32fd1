"""export.json and the printed table: one row per format, ok or not (TF-free)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "export.json"
MAP50 = "DetectionBoxes_Precision/mAP@.50IOU"
MAP = "DetectionBoxes_Precision/mAP"
#: Status of a format: exported and measured, not possible for this model, or broke.
OK, UNSUPPORTED, FAILED = "ok", "unsupported", "failed"


@dataclass
class FormatResult:
    """One format's outcome; metrics and latency only when `status` is ok."""

    format: str
    status: str
    #: One line: why it is unsupported or failed.
    reason: str | None = None
    #: The artifact, relative to the export folder (a file, or the SavedModel dir).
    path: str | None = None
    size_bytes: int | None = None
    #: The 12 COCO metrics of the artifact on the val images.
    metrics: dict[str, float] = field(default_factory=dict)
    #: {"median_ms", "p90_ms", "calls", "warmup"} at batch 1.
    latency: dict[str, Any] | None = None
    #: Seconds to export (SavedModel) or convert (TFLite; the TFLite graph they share is
    #: `settings["tflite_graph_seconds"]`).
    export_seconds: float | None = None

    @property
    def map50(self) -> float | None:
        return self.metrics.get(MAP50)

    @property
    def map(self) -> float | None:
        return self.metrics.get(MAP)


@dataclass
class ExportRecord:
    """The content of export.json."""

    #: The run: run_dir, checkpoint, step, pipeline_config, arch, resolution, why this run.
    source: dict[str, Any]
    #: The study trial it came from (study, storage masked, number, params, values,
    #: state), or None for a run outside a study.
    trial: dict[str, Any] | None
    #: How it was measured: cpu, threads, val images, warm-up, calibration images, NMS.
    settings: dict[str, Any]
    #: The run's own final eval (metrics.json): mAP@.50 and mAP to compare with.
    run_eval: dict[str, float] | None
    formats: list[FormatResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def write(self, folder: Path) -> Path:
        """Write `folder/export.json` (the folder is staged: no atomic write needed)."""
        path = folder / FILE_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _size(size: int | None) -> str:
    if size is None:
        return "–"
    return f"{size / 1e6:.2f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def table(record: ExportRecord) -> str:
    """The markdown table: the run's own eval first, then one line per format."""
    settings = record.settings
    lines = [
        "| format | status | mAP@.50 | mAP | median ms | p90 ms | size | file |",
        "|---|---|---|---|---|---|---|---|",
    ]
    if record.run_eval is not None:
        lines.append(f"| run eval (metrics.json) | – | {_num(record.run_eval.get(MAP50))} | "
                     f"{_num(record.run_eval.get(MAP))} | – | – | – | – |")
    for result in record.formats:
        if result.status == OK:
            latency = result.latency or {}
            lines.append(
                f"| {result.format} | ok | {_num(result.map50)} | {_num(result.map)} | "
                f"{_num(latency.get('median_ms'), 1)} | {_num(latency.get('p90_ms'), 1)} | "
                f"{_size(result.size_bytes)} | {result.path} |")
        else:
            reason = (result.reason or "").replace("|", "/")
            lines.append(f"| {result.format} | {result.status}: {reason} | – | – | – | – | "
                         f"– | – |")
    lines.append("")
    lines.append(
        f"{settings.get('eval_images')} val images, batch 1, {settings.get('threads')} "
        f"thread(s), {settings.get('warmup')} warm-up calls, on {settings.get('cpu')}. "
        "SavedModel: uint8 image in, its own resize and NMS; TFLite: the interpreter's "
        "invoke on the resized, normalized image "
        f"({settings.get('tflite_nms')} NMS, up to {settings.get('max_detections')} "
        "detections).")
    return "\n".join(lines) + "\n"
