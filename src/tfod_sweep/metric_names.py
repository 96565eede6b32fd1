"""Metric names exactly as the OD API writes them to TensorBoard (TF-free)."""

from __future__ import annotations

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

# Loss components per meta-architecture, named as in the OD API's `Loss/...` summaries.
LOSS_COMPONENTS: dict[str, tuple[str, ...]] = {
    "ssd": (
        "Loss/localization_loss",
        "Loss/classification_loss",
        "Loss/regularization_loss",
        "Loss/total_loss",
    ),
    "center_net": (
        "Loss/box/offset",
        "Loss/box/scale",
        "Loss/object_center",
        "Loss/total_loss",
    ),
}

# What a run measures on its trained model after the final evaluation (metrics.json's
# `inference`): latency at batch 1 and the model's size. The first four can be objectives.
LATENCY_MEDIAN = "Latency/median_ms"
LATENCY_P90 = "Latency/p90_ms"
PARAMETERS = "Model/parameters"
FLOPS = "Model/flops"
INFERENCE_METRICS: tuple[str, ...] = (LATENCY_MEDIAN, LATENCY_P90, PARAMETERS, FLOPS)
