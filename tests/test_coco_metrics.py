"""Per-class AP comes from the same COCOeval as the 12 metrics, and averages to them."""

from __future__ import annotations

import pytest

from tfod_sweep.coco_metrics import coco_from_dict, score_detections


def _gt() -> dict:
    images = [{"id": i, "height": 100, "width": 100} for i in (1, 2)]
    boxes = [(1, 1, [10, 10, 30, 30]), (1, 2, [50, 50, 20, 40]), (2, 1, [60, 5, 30, 30]),
             (2, 2, [5, 60, 25, 25])]
    annotations = [{"id": n, "image_id": image, "category_id": cat, "bbox": box,
                    "area": box[2] * box[3], "iscrowd": 0}
                   for n, (image, cat, box) in enumerate(boxes, start=1)]
    categories = [{"id": c, "name": str(c)} for c in (1, 2, 3)]
    return {"images": images, "annotations": annotations, "categories": categories}


def _detection(image: int, category: int, box: list[float], score: float) -> dict:
    return {"image_id": image, "category_id": category, "bbox": box, "score": score}


def test_per_class_ap_is_exact_per_class_and_averages_to_map():
    detections = [
        _detection(1, 1, [10, 10, 30, 30], 0.9),   # class 1: both found exactly
        _detection(2, 1, [60, 5, 30, 30], 0.8),
        _detection(1, 2, [52, 50, 20, 40], 0.7),   # class 2: one of two found (IoU 0.82)
        _detection(2, 2, [0, 0, 10, 10], 0.6),     # and a miss
        _detection(1, 3, [80, 80, 10, 10], 0.5),   # class 3 has no ground truth
    ]
    metrics, per_class = score_detections(coco_from_dict(_gt()), detections)
    assert set(per_class) == {1, 2}
    assert per_class[1]["AP@.50IOU"] == pytest.approx(1.0)
    assert 0.4 < per_class[2]["AP@.50IOU"] < 0.6
    assert per_class[2]["AP"] < per_class[2]["AP@.50IOU"]
    mean_50 = sum(c["AP@.50IOU"] for c in per_class.values()) / len(per_class)
    mean_ap = sum(c["AP"] for c in per_class.values()) / len(per_class)
    assert mean_50 == pytest.approx(metrics["DetectionBoxes_Precision/mAP@.50IOU"], abs=1e-9)
    assert mean_ap == pytest.approx(metrics["DetectionBoxes_Precision/mAP"], abs=1e-9)


def test_no_detections_scores_zero_for_every_class_with_ground_truth():
    metrics, per_class = score_detections(coco_from_dict(_gt()), [])
    assert metrics["DetectionBoxes_Precision/mAP@.50IOU"] == 0.0
    assert per_class == {1: {"AP@.50IOU": 0.0, "AP": 0.0}, 2: {"AP@.50IOU": 0.0, "AP": 0.0}}


def _pycocotools_reference(gt: dict, detections: list[dict]) -> tuple[list[float], dict]:
    """Plain pycocotools' COCOeval: the reference our scorer must reproduce."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = gt
        truth.createIndex()
        evaluator = COCOeval(truth, truth.loadRes(detections), iouType="bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    precision = evaluator.eval["precision"][:, :, :, 0, -1]
    per_class = {int(cat): (float(precision[0, :, i].mean()), float(precision[:, :, i].mean()))
                 for i, cat in enumerate(evaluator.params.catIds)
                 if not (precision[:, :, i] == -1).all()}
    return [float(v) for v in evaluator.stats], per_class


def test_scores_equal_plain_pycocotools_on_a_realistic_mix():
    """40 images, 5 classes, every COCO area range, near misses, false positives."""
    import numpy as np

    from tfod_sweep.metric_names import COCO_METRICS

    rng = np.random.default_rng(3)
    images = [{"id": i, "height": 480, "width": 640} for i in range(1, 41)]
    annotations, detections = [], []
    for image in images:
        for _ in range(int(rng.integers(1, 8))):
            side = float(rng.choice([12.0, 20.0, 60.0, 150.0])) * float(rng.uniform(0.8, 1.3))
            x, y = float(rng.uniform(0, 640 - side)), float(rng.uniform(0, 480 - side))
            category = int(rng.integers(1, 6))
            annotations.append({"id": len(annotations) + 1, "image_id": image["id"],
                                "category_id": category, "bbox": [x, y, side, side],
                                "area": side * side, "iscrowd": 0})
            if rng.random() < 0.85:  # found, with a jittered box and sometimes the wrong class
                jitter = rng.normal(0, side * 0.12, size=4)
                label = category if rng.random() < 0.8 else int(rng.integers(1, 6))
                detections.append(_detection(image["id"], label,
                                             [x + jitter[0], y + jitter[1],
                                              side + jitter[2], side + jitter[3]],
                                             float(rng.uniform(0.3, 1.0))))
        for _ in range(int(rng.integers(0, 4))):  # false positives
            detections.append(_detection(image["id"], int(rng.integers(1, 6)),
                                         [float(rng.uniform(0, 500)), float(rng.uniform(0, 350)),
                                          40.0, 40.0], float(rng.uniform(0.0, 0.6))))
    gt = {"images": images, "annotations": annotations,
          "categories": [{"id": c, "name": str(c)} for c in range(1, 6)]}
    reference, reference_per_class = _pycocotools_reference(gt, detections)
    metrics, per_class = score_detections(coco_from_dict(gt), detections)
    assert 0.2 < metrics["DetectionBoxes_Precision/mAP@.50IOU"] < 0.95  # a non-trivial case
    for name, value in zip(COCO_METRICS, reference, strict=True):
        assert metrics[name] == pytest.approx(value, abs=1e-6), name
    assert set(per_class) == set(reference_per_class)
    for category, (ap50, ap) in reference_per_class.items():
        assert per_class[category]["AP@.50IOU"] == pytest.approx(ap50, abs=1e-6)
        assert per_class[category]["AP"] == pytest.approx(ap, abs=1e-6)
