"""The 12 COCO box metrics, named as the OD API names them (TF-free).

Scored with faster-coco-eval's `COCOeval_faster`, a C++ port of pycocotools' COCOeval: on
the demo's 200 val images and 20,000 detections it gave the same 12 metrics and per-class
AP (difference 0.0) 5-8x faster (benchmarks/eval_scoring.py). pycocotools stays the
reference: a test scores a real run with it and compares.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from faster_coco_eval import COCO
from faster_coco_eval import COCOeval_faster as COCOeval

from tfod_sweep.metric_names import COCO_METRICS


def coco_from_dict(gt: dict[str, Any]) -> COCO:
    """Build a COCO index from an in-memory ground-truth dict."""
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(gt)


#: Per-class keys, named like the OD API's `include_metrics_per_category` output.
PER_CLASS_AP = ("AP@.50IOU", "AP")


def evaluate_detections(gt: COCO, detections: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Run COCOeval on COCO-format detections; -1 marks a metric with no ground truth."""
    return score_detections(gt, detections)[0]


def score_detections(
    gt: COCO, detections: Sequence[dict[str, Any]]
) -> tuple[dict[str, float], dict[int, dict[str, float]]]:
    """The 12 COCO metrics, and AP@.50 and AP per category id, from one COCOeval.

    A category without ground truth is left out of the per-class dict, as COCOeval leaves
    it out of the mean: the mean of the per-class values is then the overall mAP.
    """
    if not detections:
        zeros = {cat: dict.fromkeys(PER_CLASS_AP, 0.0) for cat in _categories_with_gt(gt)}
        return {name: 0.0 for name in COCO_METRICS}, zeros
    with contextlib.redirect_stdout(io.StringIO()):
        results = gt.loadRes([dict(d) for d in detections])
        evaluator = COCOeval(gt, results, iouType="bbox", print_function=_quiet)
        evaluator.params.imgIds = sorted(gt.getImgIds())
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = np.asarray(evaluator.stats)
    metrics = {name: float(value) for name, value in zip(COCO_METRICS, stats, strict=True)}
    return metrics, _per_class(evaluator)


def _quiet(*_: Any) -> None:
    """COCOeval_faster logs its summary table through this; the caller prints its own."""


def _categories_with_gt(gt: COCO) -> list[int]:
    return sorted({int(a["category_id"]) for a in gt.dataset.get("annotations", [])})


def _per_class(evaluator: COCOeval) -> dict[int, dict[str, float]]:
    """Read AP@.50 and AP per category off COCOeval's precision array.

    `eval["precision"]` is [IoU threshold, recall point, category, area range, max dets];
    -1 marks "no ground truth". Area range 0 is "all", max dets index 2 is 100, IoU index 0
    is 0.50: the same slices `summarize()` averages for mAP and mAP@.50.
    """
    precision = evaluator.eval["precision"][:, :, :, 0, -1]
    per_class: dict[int, dict[str, float]] = {}
    for index, category in enumerate(evaluator.params.catIds):
        overall = precision[:, :, index]
        if (overall == -1).all():  # no ground truth: every entry is -1, none is
            continue
        per_class[int(category)] = {"AP@.50IOU": float(overall[0].mean()),
                                    "AP": float(overall.mean())}
    return per_class
