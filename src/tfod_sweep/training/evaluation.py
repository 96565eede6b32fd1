"""Evaluate the model on the val split: eval losses, COCO detections and the 12 COCO metrics.

Mirrors the eval step of `model_lib_v2.eager_eval_loop` (losses + postprocess with
learning phase off) but keeps the detections, keyed by source id, so they can be
saved as a COCO results file and re-checked with plain pycocotools.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf
from object_detection import model_lib, model_lib_v2
from object_detection.core import standard_fields as fields
from tqdm import tqdm

from tfod_sweep.coco_boxes import coco_annotation, coco_detection, image_id
from tfod_sweep.coco_metrics import coco_from_dict, score_detections

InputFields = fields.InputDataFields
DetectionFields = fields.DetectionResultFields


@dataclass
class EvalResult:
    """One evaluation: metric name -> value (COCO and mean eval losses), and the detections."""

    metrics: dict[str, float]
    detections: list[dict[str, Any]] = field(default_factory=list)
    num_images: int = 0
    #: Category id -> {"AP@.50IOU", "AP"}, from the same COCOeval as `metrics`.
    per_class: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Wall seconds of running the model ("detect") and of COCO scoring ("score").
    seconds: dict[str, float] = field(default_factory=dict)


def make_eval_step(model: Any, autograph: bool = False) -> Callable:
    """Trace the loss + postprocess computation once per process, in inference mode.

    AutoGraph is off for the reason given in `loop.make_train_step`.
    """

    @tf.function(autograph=autograph)
    def eval_step(features: dict, labels: dict) -> tuple[dict, dict]:
        unstacked = model_lib.unstack_batch(labels, unpad_groundtruth_tensors=True)
        losses, predictions = model_lib_v2._compute_losses_and_predictions_dicts(  # noqa: SLF001
            model, features, unstacked, training_step=None, add_regularization_loss=True)
        detections = model.postprocess(predictions, features[InputFields.true_image_shape])
        return losses, detections

    return eval_step


def evaluate(model: Any, eval_step: Callable, dataset: tf.data.Dataset,
             max_images: int | None = None, show_progress: bool = True) -> EvalResult:
    """Run the model over `dataset` and score it with pycocotools."""
    model._is_training = False  # noqa: SLF001 (what eager_eval_loop does)
    tf.keras.backend.set_learning_phase(False)
    detect_started = time.perf_counter()
    gt_images, gt_annotations, detections = [], [], []
    loss_sums: dict[str, float] = {}
    batches = 0
    if max_images:
        dataset = dataset.unbatch().take(max_images).batch(1)
    for features, labels in tqdm(dataset, desc="eval", unit="batch", leave=False,
                                 disable=not show_progress):
        losses, outputs = eval_step(features, labels)
        batches += 1
        for key, value in losses.items():
            loss_sums[key] = loss_sums.get(key, 0.0) + float(value)
        shapes = features[InputFields.original_image_spatial_shape].numpy()
        source_ids = features[InputFields.source_id].numpy()
        num_gt = labels[InputFields.num_groundtruth_boxes].numpy()
        gt_boxes = labels[InputFields.groundtruth_boxes].numpy()
        gt_classes = np.argmax(labels[InputFields.groundtruth_classes].numpy(), axis=-1) + 1
        num_det = outputs[DetectionFields.num_detections].numpy().astype(int)
        det_boxes = outputs[DetectionFields.detection_boxes].numpy()
        det_scores = outputs[DetectionFields.detection_scores].numpy()
        det_classes = outputs[DetectionFields.detection_classes].numpy().astype(int) + 1
        for i, source_id in enumerate(source_ids):
            image = image_id(source_id)
            height, width = int(shapes[i][0]), int(shapes[i][1])
            gt_images.append({"id": image, "height": height, "width": width})
            for j in range(int(num_gt[i])):
                gt_annotations.append(coco_annotation(len(gt_annotations) + 1, image,
                                                      gt_classes[i, j], gt_boxes[i, j],
                                                      height, width))
            for j in range(num_det[i]):
                detections.append(coco_detection(image, det_classes[i, j], det_boxes[i, j],
                                                 det_scores[i, j], height, width))
    score_started = time.perf_counter()
    categories = sorted({a["category_id"] for a in gt_annotations}
                        | {d["category_id"] for d in detections})
    gt = coco_from_dict({"images": gt_images, "annotations": gt_annotations,
                         "categories": [{"id": c, "name": str(c)} for c in categories]})
    metrics, per_class = score_detections(gt, detections)
    metrics.update({key: total / max(batches, 1) for key, total in loss_sums.items()})
    seconds = {"detect": score_started - detect_started,
               "score": time.perf_counter() - score_started}
    return EvalResult(metrics=metrics, detections=detections, num_images=len(gt_images),
                      per_class=per_class, seconds=seconds)
