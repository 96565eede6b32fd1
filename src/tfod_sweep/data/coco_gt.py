"""COCO ground-truth JSON for a split, so pycocotools can score detections on it.

Image ids equal the integer in each record's ``image/source_id``; category ids
equal label-map ids. ``area`` is the box area (w*h), matching the records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from tfod_sweep.data.records import ImageRecord


class CocoGtBuilder:
    """Accumulates images while they stream to TFRecords (no second pass needed)."""

    def __init__(self, class_names: Sequence[str], description: str = "") -> None:
        self._categories = [
            {"id": i, "name": name, "supercategory": "object"}
            for i, name in enumerate(class_names, start=1)
        ]
        self._description = description
        self._images: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []

    def add(self, record: ImageRecord) -> ImageRecord:
        """Record one image and its boxes; returns it so this can sit inside a generator."""
        self._images.append(
            {
                "id": record.image_id,
                "file_name": record.filename,
                "width": record.width,
                "height": record.height,
            }
        )
        for obj in record.objects:
            w, h = obj.xmax - obj.xmin, obj.ymax - obj.ymin
            self._annotations.append(
                {
                    "id": len(self._annotations) + 1,
                    "image_id": record.image_id,
                    "category_id": obj.label,
                    "bbox": [_num(obj.xmin), _num(obj.ymin), _num(w), _num(h)],
                    "area": _num(w * h),
                    "iscrowd": int(obj.is_crowd),
                }
            )
        return record

    def tap(self, records: Iterable[ImageRecord]) -> Iterable[ImageRecord]:
        """Pass records through unchanged while adding each one."""
        for record in records:
            yield self.add(record)

    def to_dict(self) -> dict[str, Any]:
        """The COCO dataset dict; ``info``/``licenses`` are present for pycocotools' loadRes."""
        return {
            "info": {"description": self._description, "version": "1.0"},
            "licenses": [],
            "images": self._images,
            "annotations": self._annotations,
            "categories": self._categories,
        }

    def write(self, path: str) -> None:
        """Write compact, key-sorted JSON so identical inputs give identical bytes."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, sort_keys=True, separators=(",", ":"))


def _num(value: float) -> float | int:
    """Keep integral pixel values as ints and round others, for stable, readable JSON."""
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded
