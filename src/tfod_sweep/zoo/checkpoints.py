"""Where the TF2 Detection Zoo publishes the COCO checkpoint of each shipped zoo config.

The zoo's page (tf2_detection_zoo.md in tensorflow/models) links one ``.tar.gz`` per
model under a dated folder. Most archives carry their config's name; the exceptions
are listed here. The zoo publishes no checksums, so none are known.
"""

from __future__ import annotations

import os

from tfod_sweep.errors import ConfigError

#: The zoo's published base address; ``TFOD_SWEEP_ZOO_MIRROR`` replaces it.
ZOO_URL = "http://download.tensorflow.org/models/object_detection/tf2"
MIRROR_ENV = "TFOD_SWEEP_ZOO_MIRROR"
_DEFAULT_FOLDER = "20200711"
#: Zoo configs whose archive has another name or folder; None: the zoo has no checkpoint.
_EXCEPTIONS: dict[str, str | None] = {
    "centernet_hourglass104_512x512_coco17_tpu-8": "20200713/centernet_hg104_512x512_coco17_tpu-8",
    "centernet_hourglass104_1024x1024_coco17_tpu-32":
        "20200713/centernet_hg104_1024x1024_coco17_tpu-32",
    "ssd_efficientdet_d0_512x512_coco17_tpu-8": "20200711/efficientdet_d0_coco17_tpu-32",
    "ssd_efficientdet_d1_640x640_coco17_tpu-8": "20200711/efficientdet_d1_coco17_tpu-32",
    "ssd_efficientdet_d2_768x768_coco17_tpu-8": "20200711/efficientdet_d2_coco17_tpu-32",
    "ssd_efficientdet_d3_896x896_coco17_tpu-32": "20200711/efficientdet_d3_coco17_tpu-32",
    "ssd_efficientdet_d4_1024x1024_coco17_tpu-32": "20200711/efficientdet_d4_coco17_tpu-32",
    "ssd_efficientdet_d5_1280x1280_coco17_tpu-32": "20200711/efficientdet_d5_coco17_tpu-32",
    "ssd_efficientdet_d6_1408x1408_coco17_tpu-32": "20200711/efficientdet_d6_coco17_tpu-32",
    "ssd_efficientdet_d7_1536x1536_coco17_tpu-32": "20200711/efficientdet_d7_coco17_tpu-32",
    "faster_rcnn_resnet50_v1_fpn_640x640_coco17_tpu-8": None,
}  # fmt: skip
#: sha256 of archives, by archive name, where one is known (the zoo publishes none).
KNOWN_SHA256: dict[str, str] = {}


def archive_path(zoo_config: str, model: str) -> str:
    """``<folder>/<archive name>`` of a zoo config's COCO checkpoint (without ``.tar.gz``).

    ``model`` (the ``model=`` choice) only names the model in the error.
    """
    stem = zoo_config.removesuffix(".config")
    path = _EXCEPTIONS.get(stem, f"{_DEFAULT_FOLDER}/{stem}")
    if path is None:
        raise ConfigError(
            f"train.pretrained=coco: model={model} ({stem}) has no checkpoint in the TF2 "
            "Detection Zoo: allowed train.pretrained=null, or train.fine_tune_checkpoint=PATH"
        )
    return path


def archive_name(zoo_config: str, model: str) -> str:
    """The archive's own name, which is also its top folder and the cache folder's name."""
    return archive_path(zoo_config, model).rsplit("/", 1)[1]


def archive_url(zoo_config: str, model: str) -> str:
    """The archive's address, at ``TFOD_SWEEP_ZOO_MIRROR`` when that is set."""
    base = os.environ.get(MIRROR_ENV, "").strip() or ZOO_URL
    return f"{base.rstrip('/')}/{archive_path(zoo_config, model)}.tar.gz"
