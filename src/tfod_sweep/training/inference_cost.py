"""What the trained model costs to run: latency at batch 1, parameters and FLOPs (TensorFlow).

Why in the run and not only in `sweep.export`: a study that trades accuracy against
speed needs the speed of every trial, and exporting each one would cost more than its
training. The timing is the export's own method (`measure.stopwatch.Stopwatch`: untimed
warm-up calls, then median and p90 ms per image at batch 1), applied to what the
OD API's exporter wraps in its SavedModel signature: preprocess, predict and postprocess
on one uint8 val image, cast to float. It runs in the training process, so it uses that
process's TensorFlow thread pools; their size is recorded with the numbers.

FLOPs are counted by TensorFlow's graph profiler on a frozen batch-1 graph of preprocess
and predict at the model's input size (`resolution`): the network itself. Postprocessing (box
decoding and NMS) is left out: its cost depends on the detections, and the profiler has
no FLOP count for NMS ops anyway. The profiler counts the ops that register statistics
(convolutions, matmuls, element-wise ops: two FLOPs per multiply-add). When the graph
cannot be frozen or profiled, FLOPs are recorded as null with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from tfod_sweep.errors import one_line
from tfod_sweep.measure.stopwatch import Latency, Stopwatch
from tfod_sweep.metric_names import FLOPS, LATENCY_MEDIAN, LATENCY_P90, PARAMETERS
from tfod_sweep.thread_pools import pool_sizes

#: Untimed calls before timing, as `python -m sweep.export` makes by default.
WARMUP = 5


@dataclass(frozen=True)
class InferenceCost:
    """One trained model's latency (None when not timed), size and FLOPs."""

    latency: Latency | None
    #: TensorFlow's intra-op pool size in the process that timed it.
    threads: int
    #: Val images timed (one call each, after the warm-up).
    images: int
    parameters: int
    flops: int | None
    #: Why FLOPs is null, if it is.
    flops_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """metrics.json's `inference`; the metric-named keys can be objectives of a study."""
        latency = self.latency
        return {
            LATENCY_MEDIAN: None if latency is None else round(latency.median_ms, 3),
            LATENCY_P90: None if latency is None else round(latency.p90_ms, 3),
            "Latency/threads": self.threads,
            "Latency/images": self.images,
            "Latency/warmup": None if latency is None else latency.warmup,
            "Latency/batch_size": 1,
            PARAMETERS: self.parameters,
            FLOPS: self.flops,
            "Model/flops_note": self.flops_note,
        }


def parameter_count(model: Any) -> int:
    """Weights the detection model trains (batch-norm statistics and the like excluded)."""
    return int(sum(int(np.prod(variable.shape)) for variable in model.trainable_variables))


def _detector(model: Any) -> Any:
    """The exporter's computation, traced once for any image size."""

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32)],
                 autograph=False)
    def detect(image: tf.Tensor) -> dict[str, tf.Tensor]:
        preprocessed, shapes = model.preprocess(image)
        prediction = model.predict(preprocessed, shapes)
        return model.postprocess(prediction, shapes)

    return detect


def count_flops(model: Any, height: int, width: int) -> tuple[int | None, str | None]:
    """FLOPs of preprocess + predict on one `height` x `width` image, or (None, why)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    @tf.function(autograph=False)
    def network(image: tf.Tensor) -> dict[str, tf.Tensor]:
        preprocessed, shapes = model.preprocess(image)
        prediction = model.predict(preprocessed, shapes)
        return {key: value for key, value in prediction.items() if isinstance(value, tf.Tensor)}

    try:
        concrete = network.get_concrete_function(
            tf.TensorSpec([1, height, width, 3], tf.float32))
        frozen = convert_variables_to_constants_v2(concrete)
        builder = tf.compat.v1.profiler.ProfileOptionBuilder
        options = builder(builder.float_operation()).with_empty_output().build()
        profile = tf.compat.v1.profiler.profile(graph=frozen.graph, options=options,
                                                run_meta=tf.compat.v1.RunMetadata(),
                                                cmd="op")
    except Exception as error:  # an op the freezer or profiler cannot take
        return None, f"not counted: {one_line(error)}"
    if profile is None or not profile.total_float_ops:
        return None, "not counted: the profiler found no op with a FLOP count"
    return int(profile.total_float_ops), None


def measure(model: Any, pixels: list[np.ndarray], size: tuple[int, int],
            warmup: int = WARMUP) -> InferenceCost:
    """Time `model` on each image at batch 1 (after `warmup` calls) and count its size.

    Args:
        model: the trained OD API DetectionModel, in inference mode.
        pixels: uint8 H x W x 3 val images; none means no timing.
        size: the model's input (height, width), at which FLOPs are counted.
        warmup: untimed calls first (tracing and caches).
    """
    latency = None
    if pixels:
        detect = _detector(model)
        inputs = [tf.constant(image[np.newaxis], dtype=tf.float32) for image in pixels]
        watch = Stopwatch(warmup)

        def call(batch: tf.Tensor) -> Any:
            return detect(batch)["num_detections"].numpy()  # wait for the result

        watch.warm_up(lambda: call(inputs[0]))
        for batch in inputs:
            watch.time(lambda batch=batch: call(batch))
        latency = watch.summary()
    flops, note = count_flops(model, *size)
    return InferenceCost(latency=latency, threads=pool_sizes()["intra_op"], images=len(pixels),
                         parameters=parameter_count(model), flops=flops, flops_note=note)
