"""Metric names exactly as the OD API writes them to TensorBoard (TF-free)."""

from __future__ import annotations

from typing import Any

COCO_METRICS: tuple[str, ...] = (
    "DetectionBoxes_Precision/mAP",
    "DetectionBoxes_Precision/mAP@.50IOU",
    "DetectionBoxes_Precision/mAP@.75IOU",
    "DetectionBoxes_Precision/mAP (small)",
    "DetectionBoxes_Precision/mAP (medium)",
    "DetectionBoxes_Precision/mAP (large)",
    "DetectionBoxes_Recall/AR@1",
    "DetectionBoxes_Recall/AR@10",
    "DetectionBoxes_Recall/AR@100",
    "DetectionBoxes_Recall/AR@100 (small)",
    "DetectionBoxes_Recall/AR@100 (medium)",
    "DetectionBoxes_Recall/AR@100 (large)",
)

# What a run measures on its trained model after the final evaluation (metrics.json's
# `inference`): latency at batch 1 and the model's size. The first four can be objectives.
LATENCY_MEDIAN = "Latency/median_ms"
LATENCY_P90 = "Latency/p90_ms"
PARAMETERS = "Model/parameters"
FLOPS = "Model/flops"
INFERENCE_METRICS: tuple[str, ...] = (LATENCY_MEDIAN, LATENCY_P90, PARAMETERS, FLOPS)


def __getattr__(name: str) -> Any:
    """`LOSS_COMPONENTS` (arch -> its `Loss/...` names), for older callers.

    The registry owns the loss components; it is imported lazily because it builds on
    `tfod_sweep.config`, which imports this module.
    """
    if name == "LOSS_COMPONENTS":
        from tfod_sweep.registry import ARCHITECTURES

        return {key: arch.loss_components for key, arch in ARCHITECTURES.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
