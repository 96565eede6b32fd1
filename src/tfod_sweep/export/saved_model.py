"""`saved_model`: the OD API's `exporter_lib_v2` with `image_tensor` input, and its runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from object_detection import exporter_lib_v2

from tfod_sweep.export.scoring import ImageDetections

#: Where the OD API's exporter writes the SavedModel inside its output directory.
SAVED_MODEL_DIR = "saved_model"


def export(pipeline: Any, run_dir: Path, out: Path) -> Path:
    """Export the run's latest checkpoint; `out` gets saved_model/, checkpoint/, pipeline.config.

    This is exactly `exporter_main_v2.py --input_type image_tensor`: the exporter restores
    the checkpoint the run dir's `checkpoint` state file names.
    """
    exporter_lib_v2.export_inference_graph(
        input_type="image_tensor", pipeline_config=pipeline,
        trained_checkpoint_dir=str(run_dir), output_directory=str(out))
    return out / SAVED_MODEL_DIR


class SavedModelDetector:
    """The exported SavedModel's serving signature on one uint8 image at a time."""

    def __init__(self, saved_model: Path) -> None:
        self._loaded = tf.saved_model.load(str(saved_model))
        self._signature = self._loaded.signatures["serving_default"]

    @staticmethod
    def prepare(pixels: np.ndarray) -> tf.Tensor:
        """The signature's input: the original uint8 image as a batch of one."""
        return tf.constant(pixels[np.newaxis])

    def __call__(self, batch: tf.Tensor) -> ImageDetections:
        outputs = self._signature(input_tensor=batch)
        count = int(outputs["num_detections"].numpy()[0])
        return ImageDetections(
            boxes=outputs["detection_boxes"].numpy()[0, :count],
            # exporter_lib_v2 already adds the label id offset: these are label-map ids.
            category_ids=outputs["detection_classes"].numpy()[0, :count].astype(int),
            scores=outputs["detection_scores"].numpy()[0, :count])
