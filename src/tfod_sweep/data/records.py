"""The one in-memory form of an annotated image, and its OD API ``tf.train.Example``.

Both the synthetic generator and the converters produce ``ImageRecord`` so that
exactly one function decides which feature keys the trainer will see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tfod_sweep.tf_logging import import_tensorflow

#: Formats ``tf.image.decode_image`` (used by the OD API decoder) can read.
TF_IMAGE_FORMATS = ("jpeg", "png", "gif", "bmp")


@dataclass(frozen=True)
class ObjectAnnotation:
    """One box in absolute pixels (``xmax``/``ymax`` exclusive edges), with its class."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    label: int
    text: str
    is_crowd: bool = False

    @property
    def area(self) -> float:
        """Box area in px², the quantity COCO's small/medium/large buckets use here."""
        return max(0.0, self.xmax - self.xmin) * max(0.0, self.ymax - self.ymin)


@dataclass
class ImageRecord:
    """An encoded image plus its boxes, ready to become one ``tf.train.Example``."""

    image_id: int
    filename: str
    encoded: bytes
    image_format: str
    width: int
    height: int
    objects: list[ObjectAnnotation] = field(default_factory=list)


def example_features(record: ImageRecord) -> dict[str, Any]:
    """Build the OD API feature dict; ``source_id`` is the integer COCO image id as text."""
    from object_detection.utils import dataset_util as du

    w, h = float(record.width), float(record.height)
    objs = record.objects
    return {
        "image/encoded": du.bytes_feature(record.encoded),
        "image/format": du.bytes_feature(record.image_format.encode("utf-8")),
        "image/height": du.int64_feature(record.height),
        "image/width": du.int64_feature(record.width),
        "image/source_id": du.bytes_feature(str(record.image_id).encode("utf-8")),
        "image/filename": du.bytes_feature(record.filename.encode("utf-8")),
        "image/key/sha256": du.bytes_feature(
            hashlib.sha256(record.encoded).hexdigest().encode("ascii")
        ),
        "image/object/bbox/xmin": du.float_list_feature([o.xmin / w for o in objs]),
        "image/object/bbox/ymin": du.float_list_feature([o.ymin / h for o in objs]),
        "image/object/bbox/xmax": du.float_list_feature([o.xmax / w for o in objs]),
        "image/object/bbox/ymax": du.float_list_feature([o.ymax / h for o in objs]),
        "image/object/class/label": du.int64_list_feature([o.label for o in objs]),
        "image/object/class/text": du.bytes_list_feature([o.text.encode("utf-8") for o in objs]),
        "image/object/area": du.float_list_feature([o.area for o in objs]),
        "image/object/is_crowd": du.int64_list_feature([int(o.is_crowd) for o in objs]),
    }


def serialize_record(record: ImageRecord) -> bytes:
    """Serialize deterministically (sorted feature map) so equal inputs give equal bytes."""
    tf = import_tensorflow(verbose=False)

    example = tf.train.Example(features=tf.train.Features(feature=example_features(record)))
    return example.SerializeToString(deterministic=True)
