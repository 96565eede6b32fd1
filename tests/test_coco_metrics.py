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
