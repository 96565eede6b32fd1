"""Tables in the layout of the seed results document: AP, AR and losses per run (TF-free)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS

AP_HEADERS = ("mAP", "mAP @.50IOU", "mAP @.75IOU", "mAP (small)", "mAP (medium)", "mAP (large)")
AR_HEADERS = ("AR@1", "AR@10", "AR@100", "AR@100 (small)", "AR@100 (medium)",
              "AR@100 (large)")
LOSS_HEADERS = {
    "ssd": ("localization_loss", "classification_loss", "regularization_loss", "total_loss"),
    "center_net": ("loss_box_offset", "loss_box_scale", "loss_object_center", "total_loss"),
}

# Loss metric keys in the column order of LOSS_HEADERS.
_LOSS_KEYS = {
    "ssd": LOSS_COMPONENTS["ssd"],
    "center_net": ("Loss/box/offset", "Loss/box/scale", "Loss/object_center", "Loss/total_loss"),
}


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value != -1 else "-1"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    total = int(round(seconds))
    return f"{total // 3600}h {total % 3600 // 60}m {total % 60}s"


def seed_tables(runs: Sequence[Mapping[str, Any]]) -> str:
    """Render AP, AR and loss tables for runs, each a `metrics.json`-shaped mapping."""
    tail = ("steps", "total_classes", "training time")
    ap, ar, losses = [], [], []
    arch = runs[0].get("arch", "ssd") if runs else "ssd"
    for number, run in enumerate(runs, start=1):
        metrics = run.get("final", {})
        extra = (run.get("steps"), run.get("num_classes"), _duration(run.get("train_seconds")))
        ap.append((run.get("name", number), *(metrics.get(k) for k in COCO_METRICS[:6]), *extra))
        ar.append((run.get("name", number), *(metrics.get(k) for k in COCO_METRICS[6:]), *extra))
        run_arch = run.get("arch", "ssd")
        loss_values = [metrics.get(k) for k in _LOSS_KEYS[run_arch]]
        if run_arch != arch:  # as the seed document does for its CenterNet row
            loss_values = [f"{name} = {_fmt(v)}" for name, v in
                           zip(LOSS_HEADERS[run_arch], loss_values, strict=True)]
        losses.append((run.get("name", number), *loss_values, *extra))
    return "\n\n".join([
        "**Average Precision**\n\n" + _table(("No", *AP_HEADERS, *tail), ap),
        "**Average Recall**\n\n" + _table(("No", *AR_HEADERS, *tail), ar),
        "**loss**\n\n" + _table(("No", *LOSS_HEADERS[arch], *tail), losses),
    ])
