"""`tflite_fp32`, `tflite_fp16`, `tflite_int8`: the OD API's TF2 TFLite path, and a runner.

`export_tflite_graph_lib_tf2.export_tflite_model` writes a TFLite-friendly SavedModel.
What it expects as input (read from the library, TF 2.15 / OD API 0.1):

* SSD: `SSDModule.inference_fn` calls `model.predict(image)` directly, without
  `model.preprocess`. The input is a float32 [1, H, W, 3] image already resized to the
  fixed_shape_resizer's size and normalized by the feature extractor (for MobileNet v2
  FPNLite `2/255 * x - 1`, in [-1, 1]). We compute it with the model's own
  `preprocess` (the same resize and normalization as the eval), so any SSD feature
  extractor gets its own normalization. Postprocessing is the TFLite op
  `TFLite_Detection_PostProcess`, fused by the converter from the function marked
  `experimental_implements`: boxes are normalized, classes are 0-based.
* CenterNet: `CenterNetModule.inference_fn` runs `preprocess`, `predict` and
  `postprocess` in the graph; the input is the float32 [1, H, W, 3] image at the fixed
  size, raw 0-255 values.
* Any other architecture, or a resizer that is not `fixed_shape_resizer`, raises a
  ValueError: that format is then "unsupported" in the table.

`TFLite_Detection_PostProcess` options come from the pipeline.config: score threshold,
IoU threshold, box-coder scales. Two are arguments: `max_detections` (we pass the
config's `max_total_detections`, 100, as the eval keeps) and `use_regular_nms`. The
fast default of the OD API's script (`use_regular_nms=False`) keeps one class per
anchor and runs one class-agnostic NMS; the eval runs NMS per class (combined NMS, up
to 100 per class). We pass `regular` by default so that the TFLite model keeps what
the eval keeps; `--tflite-nms fast` measures the fast variant.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from object_detection import export_tflite_graph_lib_tf2
from object_detection.builders import model_builder

from tfod_sweep import registry
from tfod_sweep.export.scoring import ImageDetections
from tfod_sweep.registry.fields import get_field

GRAPH_DIR = "tflite_graph"
#: The file each TFLite format is written to.
FILE_NAMES = {"tflite_fp32": "model_fp32.tflite", "tflite_fp16": "model_fp16.tflite",
              "tflite_int8": "model_int8.tflite"}


@contextlib.contextmanager
def quiet_native_output(enabled: bool = True) -> Iterator[None]:
    """Send what C++ writes to fds 1 and 2 (the MLIR converter's op summary, the
    interpreter's "Created XNNPACK delegate") to a discarded temp file while in the body.

    Python's own exceptions are unaffected: they carry their message themselves.
    """
    if not enabled:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def max_detections(pipeline: Any) -> int:
    """What the eval keeps per image: the field the registry names (SSD: NMS's
    max_total_detections, CenterNet: max_box_predictions).

    Raises:
        ValueError: the architecture has no TFLite path in the OD API.
    """
    arch = registry.of_pipeline(pipeline)
    if arch.max_detections is None:
        raise ValueError(f"the OD API has no TFLite export for {arch.title} models")
    return int(get_field(registry.model_message(pipeline), arch.max_detections))


def export_graph(pipeline: Any, run_dir: Path, out: Path, regular_nms: bool) -> Path:
    """Write the TFLite-friendly SavedModel to `out/tflite_graph/saved_model`.

    Raises:
        ValueError: the architecture or its resizer has no TFLite path in the OD API.
    """
    graph_dir = out / GRAPH_DIR
    config = type(pipeline)()
    config.CopyFrom(pipeline)  # the CenterNet module edits the config it is given
    export_tflite_graph_lib_tf2.export_tflite_model(
        pipeline_config=config, trained_checkpoint_dir=str(run_dir),
        output_directory=str(graph_dir), max_detections=max_detections(pipeline),
        use_regular_nms=regular_nms)
    return graph_dir / "saved_model"


class InputMaker:
    """Image -> the float32 [1, H, W, 3] tensor the TFLite graph takes (see module doc)."""

    def __init__(self, pipeline: Any) -> None:
        self._resize_only = registry.of_pipeline(pipeline).tflite_resizes_input
        self._model = model_builder.build(pipeline.model, is_training=False)
        if self._resize_only:  # the TFLite module set a fixed-shape resizer
            resizer = registry.model_message(pipeline).image_resizer.fixed_shape_resizer
            self._size = (int(resizer.height), int(resizer.width))

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        image = tf.cast(tf.constant(pixels[np.newaxis]), tf.float32)
        if self._resize_only:
            return tf.image.resize(image, self._size).numpy()
        preprocessed, _ = self._model.preprocess(image)
        return preprocessed.numpy()


def convert(saved_model: Path, kind: str,
            calibration: Callable[[], Iterator[list[np.ndarray]]] | None = None) -> bytes:
    """Convert the TFLite-friendly SavedModel: fp32, fp16 weights, or full-integer int8.

    int8 quantizes every op to int8 (`TFLITE_BUILTINS_INT8`, uint8 input) from the
    ranges seen on `calibration` images; the detection postprocess op dequantizes its
    inputs itself and returns float32 boxes, classes and scores.
    """
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.allow_custom_ops = True  # TFLite_Detection_PostProcess is a custom op
    if kind == "tflite_fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif kind == "tflite_int8":
        if calibration is None:
            raise ValueError("int8 needs calibration images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
    elif kind != "tflite_fp32":
        raise ValueError(f"not a TFLite format: {kind}")
    with quiet_native_output():
        return converter.convert()


class TfliteDetector:
    """A .tflite file in `tf.lite.Interpreter` with `threads` threads, one image a call."""

    def __init__(self, model: Path, threads: int, arch: str) -> None:
        with quiet_native_output():
            self._interpreter = tf.lite.Interpreter(model_path=str(model),
                                                    num_threads=threads)
            self._interpreter.allocate_tensors()
        (self._input,) = self._interpreter.get_input_details()
        self._outputs = _output_indices(self._interpreter, arch)

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """Quantize the float input when the model takes integers (int8)."""
        dtype = self._input["dtype"]
        if dtype == np.float32:
            return image.astype(np.float32)
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(dtype)
        quantized = np.round(image / scale + zero_point)
        return np.clip(quantized, info.min, info.max).astype(dtype)

    def __call__(self, image: np.ndarray) -> ImageDetections:
        self._interpreter.set_tensor(self._input["index"], image)
        self._interpreter.invoke()
        get = self._interpreter.get_tensor
        count = int(get(self._outputs["num_detections"]).reshape(-1)[0])
        return ImageDetections(
            boxes=get(self._outputs["boxes"])[0, :count],
            category_ids=get(self._outputs["classes"])[0, :count].astype(int) + 1,
            scores=get(self._outputs["scores"])[0, :count])


def _output_indices(interpreter: Any, arch: str) -> dict[str, int]:
    """Output name -> tensor index, from the serving signature.

    Both modules return `(boxes, classes, scores, num_detections)[::-1]`, which the
    signature names output_0 (num_detections) to output_3 (boxes). The shapes (known
    once tensors are allocated) confirm it.
    """
    del arch  # SSD and CenterNet share the order
    outputs = interpreter.get_signature_runner().get_output_details()
    order = ("num_detections", "scores", "classes", "boxes")
    indices = {key: outputs[f"output_{i}"]["index"] for i, key in enumerate(order)}
    shapes = {detail["index"]: tuple(detail["shape"])
              for detail in interpreter.get_output_details()}
    boxes = shapes[indices["boxes"]]
    if len(boxes) != 3 or boxes[-1] != 4:
        found = {key: shapes[index] for key, index in indices.items()}
        raise ValueError(f"unexpected TFLite outputs: {found}")
    return indices
