"""Export one run to the chosen formats and measure each artifact (TensorFlow from here on).

Order of work: refuse an existing `--out`, import TensorFlow with the thread count set,
parse pipeline.config, read every checkpoint tensor, read the val images, then export
and measure one format at a time. Everything is written into a temp folder beside
`--out` that is renamed into place at the end (`staging`). A format that cannot be
exported is a row with its reason; a bad run (config, checkpoint, data) is a SweepError
before anything is exported.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfod_sweep.errors import SweepError, one_line
from tfod_sweep.export.formats import TFLITE_FORMATS
from tfod_sweep.export.locate import RunArtifacts
from tfod_sweep.export.record import FAILED, OK, UNSUPPORTED, ExportRecord, FormatResult
from tfod_sweep.export.staging import staged
from tfod_sweep.measure.stopwatch import Stopwatch
from tfod_sweep.tf_logging import configure_tf_logging, import_tensorflow

MAP50 = "DetectionBoxes_Precision/mAP@.50IOU"
MAP = "DetectionBoxes_Precision/mAP"
LABEL_MAP = "label_map.pbtxt"
DETECTIONS_DIR = "detections"


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how to measure it (the CLI's options)."""

    formats: Sequence[str]
    out: Path
    overwrite: bool = False
    #: Threads for TensorFlow (intra- and inter-op pools) and the TFLite interpreter.
    threads: int = 1
    #: Val images to score on; None: as many as the run's own eval used (else all).
    max_images: int | None = None
    calibration_images: int = 100
    warmup: int = 5
    #: "regular" (per-class NMS, as the eval) or "fast" (the OD API script's default).
    tflite_nms: str = "regular"
    verbose: bool = False


def cpu_name() -> str:
    """The CPU model as /proc/cpuinfo names it (`platform.processor()` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def _import_tf(threads: int, verbose: bool) -> Any:
    configure_tf_logging(verbose)
    tf = import_tensorflow(verbose)

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran in this process (tests): keep its pools
        pass
    return tf


def _read_pipeline(path: Path) -> Any:
    from google.protobuf import text_format
    from object_detection.protos import pipeline_pb2

    try:
        return text_format.Parse(path.read_text(), pipeline_pb2.TrainEvalPipelineConfig())
    except (OSError, UnicodeDecodeError, text_format.ParseError) as error:
        raise SweepError(f"{path}: not a readable pipeline.config ({one_line(error)})") \
            from None


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _measure(call: Callable[[Any], Any], inputs: list[Any], images: list[Any],
             warmup: int, detections_file: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """Run the artifact on every image (timed, after warm-up) and score its detections.

    The detections are kept in `detections_file` (COCO results format, as the run's own
    detections.json) so that formats can be compared box by box.
    """
    from tfod_sweep.export.scoring import all_detections, score

    watch = Stopwatch(warmup)
    watch.warm_up(lambda: call(inputs[0]))
    outputs = [watch.time(lambda x=x: call(x)) for x in inputs]
    truths = [image.truth for image in images]
    results = all_detections(truths, outputs)
    detections_file.parent.mkdir(exist_ok=True)
    detections_file.write_text(json.dumps(results))
    return score(truths, results), watch.summary().to_dict()


class _Exporter:
    """One export: shared state (pipeline, images, preprocessing) across the formats."""

    def __init__(self, run: RunArtifacts, options: ExportOptions, work: Path,
                 progress: Callable[[str], None]) -> None:
        from tfod_sweep.export import checkpoint
        from tfod_sweep.measure import val_images

        self.run, self.options, self.work, self.progress = run, options, work, progress
        self.pipeline = _read_pipeline(run.pipeline_config)
        self.arch = self.pipeline.model.WhichOneof("model")
        tensors = checkpoint.verify(run.checkpoint)
        progress(f"checkpoint {run.checkpoint.name}: {tensors} tensors read")
        limit = options.max_images
        if limit is None and run.metrics is not None and run.metrics.eval_images:
            limit = run.metrics.eval_images
        self.images = val_images.read_images(self.pipeline.eval_input_reader[0], limit)
        progress(f"{len(self.images)} val images read")
        self._input_maker: Any = None
        #: Seconds to write the TFLite-friendly SavedModel that the TFLite formats share.
        self.tflite_graph_seconds: float | None = None

    def saved_model(self) -> FormatResult:
        from tfod_sweep.export import saved_model

        started = time.perf_counter()
        path = saved_model.export(self.pipeline, self.run.run_dir, self.work)
        seconds = time.perf_counter() - started
        detector = saved_model.SavedModelDetector(path)
        inputs = [detector.prepare(image.pixels) for image in self.images]
        metrics, latency = _measure(detector, inputs, self.images, self.options.warmup,
                                    self._detections_file("saved_model"))
        return FormatResult("saved_model", OK, path=str(path.relative_to(self.work)),
                            size_bytes=_size(path), metrics=metrics, latency=latency,
                            export_seconds=round(seconds, 1))

    def _detections_file(self, name: str) -> Path:
        return self.work / DETECTIONS_DIR / f"{name}.json"

    def tflite_graph(self) -> Path:
        from tfod_sweep.export import tflite

        return tflite.export_graph(self.pipeline, self.run.run_dir, self.work,
                                   regular_nms=self.options.tflite_nms == "regular")

    def _model_input(self, pixels: Any) -> Any:
        from tfod_sweep.export import tflite

        if self._input_maker is None:
            self._input_maker = tflite.InputMaker(self.pipeline)
        return self._input_maker(pixels)

    def _calibration(self) -> Callable[[], Iterator[list[Any]]]:
        from tfod_sweep.measure import val_images

        train = val_images.read_images(self.pipeline.train_input_reader,
                                       self.options.calibration_images)
        inputs = [self._model_input(image.pixels) for image in train]
        self.progress(f"{len(inputs)} train images for int8 calibration")

        def representative() -> Iterator[list[Any]]:
            for tensor in inputs:
                yield [tensor]

        return representative

    def tflite(self, kind: str, graph: Path) -> FormatResult:
        from tfod_sweep.export import tflite

        started = time.perf_counter()
        calibration = self._calibration() if kind == "tflite_int8" else None
        model = tflite.convert(graph, kind, calibration)
        path = self.work / tflite.FILE_NAMES[kind]
        path.write_bytes(model)
        seconds = time.perf_counter() - started
        detector = tflite.TfliteDetector(path, self.options.threads, self.arch)
        inputs = [detector.prepare(self._model_input(image.pixels)) for image in self.images]
        metrics, latency = _measure(detector, inputs, self.images, self.options.warmup,
                                    self._detections_file(kind))
        return FormatResult(kind, OK, path=path.name, size_bytes=path.stat().st_size,
                            metrics=metrics, latency=latency,
                            export_seconds=round(seconds, 1))


def _attempt(name: str, step: Callable[[], FormatResult],
             progress: Callable[[str], None]) -> FormatResult:
    started = time.perf_counter()
    try:
        result = step()
    except Exception as error:  # the converter or the artifact broke: a row, not a crash
        result = FormatResult(name, FAILED, reason=one_line(error, 300))
    took = time.perf_counter() - started
    progress(f"{name}: {result.status}" + (f" ({result.reason})" if result.reason else "")
             + f" in {took:.0f} s")
    return result


def export_run(run: RunArtifacts, options: ExportOptions, trial: dict[str, Any] | None,
               progress: Callable[[str], None] = print) -> ExportRecord:
    """Export `run` into `options.out` (whole, or not at all) and return its record.

    Raises:
        SweepError: `out` exists (without overwrite), or the run's pipeline.config,
            checkpoint or val records are unusable.
    """
    with staged(options.out, options.overwrite) as work:
        _import_tf(options.threads, options.verbose)
        exporter = _Exporter(run, options, work, progress)
        results: list[FormatResult] = []
        if "saved_model" in options.formats:
            results.append(_attempt("saved_model", exporter.saved_model, progress))
        wanted = [name for name in TFLITE_FORMATS if name in options.formats]
        if wanted:
            results.extend(_tflite_results(exporter, wanted, progress))
        if (run.run_dir / LABEL_MAP).is_file():
            shutil.copy2(run.run_dir / LABEL_MAP, work / LABEL_MAP)
        record = _record(run, options, trial, exporter, results)
        record.write(work)
    return record


def _tflite_results(exporter: _Exporter, wanted: list[str],
                    progress: Callable[[str], None]) -> list[FormatResult]:
    started = time.perf_counter()
    try:
        graph = exporter.tflite_graph()
    except ValueError as error:  # the OD API's word for "no TFLite path for this model"
        reason = one_line(error, 300)
        progress(f"tflite: unsupported ({reason})")
        return [FormatResult(name, UNSUPPORTED, reason=reason) for name in wanted]
    except Exception as error:
        reason = f"TFLite graph export: {one_line(error, 280)}"
        progress(f"tflite: failed ({reason})")
        return [FormatResult(name, FAILED, reason=reason) for name in wanted]
    seconds = time.perf_counter() - started
    progress(f"tflite graph exported in {seconds:.0f} s")
    exporter.tflite_graph_seconds = round(seconds, 1)
    return [_attempt(name, lambda n=name: exporter.tflite(n, graph), progress)
            for name in wanted]


def _record(run: RunArtifacts, options: ExportOptions, trial: dict[str, Any] | None,
            exporter: _Exporter, results: list[FormatResult]) -> ExportRecord:
    from tfod_sweep.export import tflite

    metrics = run.metrics
    run_eval = None
    if metrics is not None and metrics.final is not None:
        run_eval = {MAP50: metrics.final.get(MAP50), MAP: metrics.final.get(MAP),
                    "images": metrics.eval_images}
    if trial is None and metrics is not None and metrics.trial:
        trial = dict(metrics.trial)  # a trial's run dir given directly: what it recorded
    source = {
        "run_dir": str(run.run_dir.resolve()),
        "checkpoint": str(run.checkpoint.resolve()),
        "step": run.step,
        "pipeline_config": str(run.pipeline_config.resolve()),
        "arch": exporter.arch,
        "resolution": metrics.resolution if metrics is not None else None,
        "chosen_because": run.chosen_because or None,
    }
    settings = {
        "cpu": cpu_name(),
        "threads": options.threads,
        "eval_images": len(exporter.images),
        "warmup": options.warmup,
        "calibration_images": options.calibration_images,
        "tflite_nms": options.tflite_nms,
        "max_detections": tflite.max_detections(exporter.pipeline),
        "tflite_graph_seconds": exporter.tflite_graph_seconds,
    }
    return ExportRecord(source=source, trial=trial, settings=settings, run_eval=run_eval,
                        formats=results)
