"""OD API detections and ground truth as COCO records (TF-free, numbers in, dicts out).

The run's eval (`training.evaluation`) and the export's scoring of an exported model
(`export.scoring`) both go through these, so both score the same boxes the same way:
category id = 0-based class + 1, normalized `ymin, xmin, ymax, xmax` -> absolute
`x, y, w, h` in the original image, the image id from `image/source_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def image_id(source_id: bytes | str) -> int | str:
    """`b"17"` -> 17 (our records' ids are integers); any other text stays text."""
    text = source_id.decode() if isinstance(source_id, bytes) else source_id
    return int(text) if text.isdigit() else text


def absolute_xywh(box: Sequence[float], height: int, width: int) -> list[float]:
    """A normalized `ymin, xmin, ymax, xmax` box -> COCO's absolute `x, y, w, h`."""
    ymin, xmin, ymax, xmax = box
    x, y = float(xmin * width), float(ymin * height)
    return [x, y, float(xmax * width) - x, float(ymax * height) - y]


def coco_detection(image: int | str, category_id: int, box: Sequence[float], score: float,
                   height: int, width: int) -> dict[str, Any]:
    """One detection in COCO results format, rounded as detections.json stores it."""
    return {"image_id": image, "category_id": int(category_id),
            "bbox": [round(v, 3) for v in absolute_xywh(box, height, width)],
            "score": round(float(score), 6)}


def coco_annotation(annotation_id: int, image: int | str, category_id: int,
                    box: Sequence[float], height: int, width: int) -> dict[str, Any]:
    """One ground-truth box as a COCO annotation (never crowd, as the OD API's eval)."""
    xywh = absolute_xywh(box, height, width)
    return {"id": annotation_id, "image_id": image, "category_id": int(category_id),
            "bbox": xywh, "area": xywh[2] * xywh[3], "iscrowd": 0}
