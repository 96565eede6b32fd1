"""The images a trained model is timed, scored and calibrated on, read as its eval reads them.

The eval reads the val TFRecords through the OD API's `dataset_builder.read_dataset`
(its file interleave order) and decodes them with the decoder the `eval_input_reader`
configures. We do the same, so the first N images here are the eval's first N images,
with the same pixels and the same ground-truth boxes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf
from object_detection.builders import dataset_builder, decoder_builder
from object_detection.core import standard_fields as fields

from tfod_sweep.coco_boxes import image_id
from tfod_sweep.compat import patch_od_api_inputs
from tfod_sweep.errors import DataError, one_line
from tfod_sweep.measure.ground_truth import GroundTruthImage

Input = fields.InputDataFields


@dataclass(frozen=True)
class Image:
    """One decoded image (uint8, H x W x 3) and its ground truth."""

    pixels: np.ndarray
    truth: GroundTruthImage


def read_images(reader_config: Any, limit: int | None) -> list[Image]:
    """The first `limit` images (all when None) of an input reader, in the eval's order.

    The reader is copied with `shuffle: false` and one epoch, so a train reader gives its
    first images too (the int8 calibration set).

    Raises:
        DataError: the records cannot be found or decoded.
    """
    patch_od_api_inputs()
    config = type(reader_config)()
    config.CopyFrom(reader_config)
    config.shuffle = False
    config.num_epochs = 1
    files = list(config.tf_record_input_reader.input_path)
    try:
        decoder = decoder_builder.build(config)
        records = dataset_builder.read_dataset(
            functools.partial(tf.data.TFRecordDataset, buffer_size=8 * 1000 * 1000),
            files, config)
        if limit is not None:
            records = records.take(limit)
        images = [_image(decoder.decode(record)) for record in records]
    except Exception as error:  # no file matches, a corrupt record, an undecodable image
        raise DataError(f"cannot read {', '.join(files)}: {one_line(error)}") from None
    if not images:
        raise DataError(f"{', '.join(files)}: no images")
    return images


def _image(decoded: dict[str, tf.Tensor]) -> Image:
    pixels = decoded[Input.image].numpy()
    height, width = int(pixels.shape[0]), int(pixels.shape[1])
    truth = GroundTruthImage(
        image_id=image_id(decoded[Input.source_id].numpy()), height=height, width=width,
        boxes=decoded[Input.groundtruth_boxes].numpy(),
        category_ids=decoded[Input.groundtruth_classes].numpy().astype(int))
    return Image(pixels=pixels, truth=truth)
