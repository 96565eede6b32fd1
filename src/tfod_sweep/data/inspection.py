"""Deep validation of OD API TFRecords: read every record, decode every image.

This is the slow, thorough check (``resolve_dataset`` stays fast on purpose);
it collects every problem so one run reports them all, then the caller decides
whether to stop via ``InspectionReport.raise_for_problems``.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tfod_sweep.data.label_map import read_label_map
from tfod_sweep.data.records import TF_IMAGE_FORMATS
from tfod_sweep.data.tfrecord_io import expand_paths, read_serialized
from tfod_sweep.errors import DataError
from tfod_sweep.tf_logging import import_tensorflow

SMALL_MAX_AREA = 32**2  # COCO area buckets, in absolute px²
MEDIUM_MAX_AREA = 96**2
_EPS = 1e-4  # tolerance on normalized coordinates (float32 rounding)
_KEPT_PROBLEMS = 1000


@dataclass
class InspectionReport:
    """What the records contain, and every problem found (first ``_KEPT_PROBLEMS`` kept)."""

    files: list[str]
    label_map_path: str | None = None
    label_map: dict[int, str] | None = None
    num_images: int = 0
    num_boxes: int = 0
    images_without_boxes: int = 0
    class_counts: Counter[int] = field(default_factory=Counter)
    class_texts: dict[int, str] = field(default_factory=dict)
    size_buckets: dict[str, int] = field(
        default_factory=lambda: {"small": 0, "medium": 0, "large": 0}
    )
    out_of_bounds: int = 0
    degenerate: int = 0
    duplicate_source_ids: int = 0
    problems: list[str] = field(default_factory=list)
    num_problems: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing would stop training or corrupt evaluation."""
        return self.num_problems == 0

    @property
    def missing_from_label_map(self) -> list[int]:
        """Class ids present in the data but absent from the label map."""
        if self.label_map is None:
            return []
        return sorted(c for c in self.class_counts if c not in self.label_map)

    def add_problem(self, message: str) -> None:
        """Count a problem; keep its text unless many were already kept."""
        self.num_problems += 1
        if len(self.problems) < _KEPT_PROBLEMS:
            self.problems.append(message)

    def raise_for_problems(self) -> None:
        """Raise DataError with the first problem as its one line, if there is any."""
        if self.num_problems:
            more = self.num_problems - 1
            suffix = f" (and {more} more problem{'s' * (more != 1)})" if more else ""
            raise DataError(self.problems[0] + suffix)

    def class_name(self, class_id: int) -> str:
        """Label-map name if known, else the text stored in the records."""
        if self.label_map and class_id in self.label_map:
            return self.label_map[class_id]
        return self.class_texts.get(class_id, "?")


def inspect_tfrecords(
    paths: str | Sequence[str],
    label_map: str | os.PathLike[str] | Mapping[int, str] | None = None,
    decode_images: bool = True,
    progress: bool = False,
) -> InspectionReport:
    """Read every record of ``paths`` (files or globs) and summarize/validate them.

    Raises DataError only when nothing can be inspected (no files, bad label
    map); problems inside records are collected in the report instead.
    """
    from tqdm import tqdm

    files = expand_paths(paths, what="TFRecord")
    report = InspectionReport(files=files)
    if isinstance(label_map, str | os.PathLike):
        report.label_map_path = os.fspath(label_map)
        report.label_map = read_label_map(label_map)
    elif label_map is not None:
        report.label_map = dict(label_map)
    if report.label_map is not None and not report.label_map:
        raise DataError("label map is empty")
    seen_ids: set[bytes] = set()
    with tqdm(unit="img", desc="inspect", disable=None if progress else True) as bar:
        for path in files:
            try:
                for index, data in enumerate(read_serialized(path)):
                    _inspect_record(report, path, index, data, decode_images, seen_ids)
                    bar.update(1)
            except DataError as exc:  # corrupt file: report it, go on with the next file
                report.add_problem(str(exc))
    return report


def _inspect_record(
    report: InspectionReport,
    path: str,
    index: int,
    data: bytes,
    decode_images: bool,
    seen_ids: set[bytes],
) -> None:
    tf = import_tensorflow(verbose=False)
    from google.protobuf.message import DecodeError

    where = f"{path}: record {index}"
    try:
        example = tf.train.Example.FromString(data)
    except DecodeError:
        report.add_problem(f"{where}: not a tf.train.Example")
        return
    feats = example.features.feature
    report.num_images += 1
    source_id = _bytes(feats, "image/source_id")
    if source_id:
        if source_id[0] in seen_ids:
            report.duplicate_source_ids += 1
        seen_ids.add(source_id[0])
    heights, widths = _ints(feats, "image/height"), _ints(feats, "image/width")
    if len(heights) != 1 or len(widths) != 1 or heights[0] < 1 or widths[0] < 1:
        report.add_problem(f"{where}: image/height and image/width must be positive integers")
        return
    height, width = heights[0], widths[0]
    if decode_images:
        problem = _image_problem(_bytes(feats, "image/encoded"), width, height)
        if problem:
            report.add_problem(f"{where}: {problem}")
    boxes = {k: _floats(feats, f"image/object/bbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")}
    labels = _ints(feats, "image/object/class/label")
    texts = [t.decode("utf-8", "replace") for t in _bytes(feats, "image/object/class/text")]
    count = len(boxes["xmin"])
    if any(len(v) != count for v in boxes.values()) or len(labels) != count:
        sizes = {k: len(v) for k, v in boxes.items()} | {"class/label": len(labels)}
        report.add_problem(f"{where}: box fields have different lengths {sizes}")
        return
    if texts and len(texts) != count:
        report.add_problem(f"{where}: {len(texts)} class texts for {count} boxes")
        texts = []
    report.num_boxes += count
    report.images_without_boxes += count == 0
    for j in range(count):
        x0, y0, x1, y1 = (boxes[k][j] for k in ("xmin", "ymin", "xmax", "ymax"))
        label = labels[j]
        report.class_counts[label] += 1
        if texts:
            report.class_texts.setdefault(label, texts[j])
        _check_class(report, where, j, label, texts[j] if texts else None)
        coords = f"xmin={x0:.4g} ymin={y0:.4g} xmax={x1:.4g} ymax={y1:.4g}"
        if x0 >= x1 or y0 >= y1:
            report.degenerate += 1
            report.add_problem(f"{where}: box {j} is degenerate ({coords}; need min < max)")
            continue
        if min(x0, y0) < -_EPS or max(x1, y1) > 1 + _EPS:
            report.out_of_bounds += 1
            report.add_problem(
                f"{where}: box {j} is outside the image ({coords}; normalized, must be in 0..1)"
            )
        area = (x1 - x0) * width * (y1 - y0) * height
        bucket = (
            "small" if area < SMALL_MAX_AREA else "medium" if area < MEDIUM_MAX_AREA else "large"
        )
        report.size_buckets[bucket] += 1


def _check_class(
    report: InspectionReport, where: str, j: int, label: int, text: str | None
) -> None:
    """Flag ids the label map lacks, and texts that the OD API would map to another id."""
    lm = report.label_map
    if lm is None:
        if label < 1:
            report.add_problem(f"{where}: box {j} has class id {label} (ids start at 1)")
        return
    lm_name = report.label_map_path or "the label map"
    if label not in lm:
        report.add_problem(f"{where}: box {j} has class id {label}, which is not in {lm_name}")
    elif text is not None and text != lm[label]:
        # With a label map the OD API decoder trusts class/text over class/label.
        report.add_problem(
            f"{where}: box {j} has class id {label} ({lm[label]!r} in {lm_name}) "
            f"but class text {text!r}"
        )


def _image_problem(encoded: list[bytes], width: int, height: int) -> str | None:
    """Why the image is unusable by the OD API decoder, or None if it is fine."""
    from PIL import Image, UnidentifiedImageError

    if len(encoded) != 1 or not encoded[0]:
        return "image/encoded is missing or empty"
    try:
        with Image.open(io.BytesIO(encoded[0])) as image:
            image.load()
            fmt, size = (image.format or "").lower(), image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return f"image does not decode ({exc})"
    if fmt not in TF_IMAGE_FORMATS:
        return f"image format {fmt or '?'} cannot be decoded by TensorFlow (use JPEG or PNG)"
    if size != (width, height):
        return f"image is {size[0]}x{size[1]} but image/width x image/height say {width}x{height}"
    return None


def _floats(feats: Any, key: str) -> list[float]:
    return list(feats[key].float_list.value) if key in feats else []


def _ints(feats: Any, key: str) -> list[int]:
    return list(feats[key].int64_list.value) if key in feats else []


def _bytes(feats: Any, key: str) -> list[bytes]:
    return list(feats[key].bytes_list.value) if key in feats else []


def format_report(report: InspectionReport) -> str:
    """Human-readable multi-line summary, printed by ``python -m sweep.data inspect``."""
    per_image = report.num_boxes / report.num_images if report.num_images else 0.0
    b = report.size_buckets
    lines = [
        f"files                {len(report.files)}",
        f"images               {report.num_images}",
        f"boxes                {report.num_boxes}  ({per_image:.2f} per image, "
        f"{report.images_without_boxes} images without boxes)",
        f"COCO size buckets    small {b['small']}  medium {b['medium']}  large {b['large']}"
        "  (box area <32², <96², >=96² px)",
        f"out-of-bounds boxes  {report.out_of_bounds}",
        f"degenerate boxes     {report.degenerate}",
    ]
    if report.duplicate_source_ids:
        lines.append(
            f"duplicate source ids {report.duplicate_source_ids}  "
            "(COCO evaluation needs one unique image/source_id per image)"
        )
    lm = report.label_map
    in_map = f", {len(lm)} in label map" if lm is not None else ""
    lines.append(f"classes              {len(report.class_counts)} in data{in_map}")
    lines.append(f"  {'id':>5}  {'name':<28} {'boxes':>7}")
    for class_id in sorted(set(report.class_counts) | set(lm or {})):
        flag = "  <- not in label map" if lm is not None and class_id not in lm else ""
        name = report.class_name(class_id)
        lines.append(f"  {class_id:>5}  {name:<28} {report.class_counts[class_id]:>7}{flag}")
    if lm is not None:
        missing = report.missing_from_label_map
        lines.append(f"classes missing from label map: {missing if missing else 'none'}")
    if report.num_problems:
        lines.append(f"problems             {report.num_problems}")
        lines.extend(f"  {p}" for p in report.problems[:10])
        if report.num_problems > 10:
            lines.append(f"  ... and {report.num_problems - 10} more")
    else:
        lines.append("problems             none")
    return "\n".join(lines)
