"""Score an exported model's detections with the run eval's own COCO code (TF-free).

The ground truth is rebuilt from the val records exactly as the run's eval builds it
(`tfod_sweep.coco_boxes`), and the detections go through the same conversion, so an
exported model that computes what the checkpoint computes scores what metrics.json says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfod_sweep.coco_boxes import coco_annotation, coco_detection
from tfod_sweep.coco_metrics import coco_from_dict, score_detections
from tfod_sweep.measure.ground_truth import GroundTruthImage


@dataclass(frozen=True)
class ImageDetections:
    """What a detector returned for one image (already cut to its detection count)."""

    boxes: np.ndarray
    #: Label-map ids (1-based): the SavedModel adds the offset itself, TFLite does not.
    category_ids: np.ndarray
    scores: np.ndarray


def coco_ground_truth(images: Sequence[GroundTruthImage]) -> dict[str, Any]:
    """The COCO gt dict of the val images (categories: every id seen, as the eval does)."""
    annotations: list[dict[str, Any]] = []
    for image in images:
        for box, category in zip(image.boxes, image.category_ids, strict=True):
            annotations.append(coco_annotation(len(annotations) + 1, image.image_id,
                                               int(category), box, image.height,
                                               image.width))
    return {"images": [{"id": i.image_id, "height": i.height, "width": i.width}
                       for i in images],
            "annotations": annotations}


def coco_detections(image: GroundTruthImage, found: ImageDetections) -> list[dict[str, Any]]:
    return [coco_detection(image.image_id, int(category), box, score, image.height,
                           image.width)
            for box, category, score in zip(found.boxes, found.category_ids, found.scores,
                                            strict=True)]


def all_detections(images: Sequence[GroundTruthImage],
                   detections: Sequence[ImageDetections]) -> list[dict[str, Any]]:
    """Every image's detections in COCO results format (as the run's detections.json)."""
    return [d for image, found in zip(images, detections, strict=True)
            for d in coco_detections(image, found)]


def score(images: Sequence[GroundTruthImage],
          results: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The 12 COCO metrics of COCO-format `results` on `images`."""
    gt = coco_ground_truth(images)
    categories = sorted({a["category_id"] for a in gt["annotations"]}
                        | {d["category_id"] for d in results})
    gt["categories"] = [{"id": c, "name": str(c)} for c in categories]
    metrics, _ = score_detections(coco_from_dict(gt), results)
    return metrics
