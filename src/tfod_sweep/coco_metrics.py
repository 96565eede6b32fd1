"""The 12 COCO box metrics from plain pycocotools, named as the OD API names them (TF-free)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from tfod_sweep.metric_names import COCO_METRICS


def coco_from_dict(gt: dict[str, Any]) -> COCO:
    """Build a pycocotools COCO index from an in-memory ground-truth dict."""
    coco = COCO()
    coco.dataset = gt
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def evaluate_detections(gt: COCO, detections: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Run COCOeval on COCO-format detections; -1 marks a metric with no ground truth."""
    if not detections:
        return {name: 0.0 for name in COCO_METRICS}
    with contextlib.redirect_stdout(io.StringIO()):
        results = gt.loadRes([dict(d) for d in detections])
        evaluator = COCOeval(gt, results, iouType="bbox")
        evaluator.params.imgIds = sorted(gt.getImgIds())
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = np.asarray(evaluator.stats)
    return {name: float(value) for name, value in zip(COCO_METRICS, stats, strict=True)}
