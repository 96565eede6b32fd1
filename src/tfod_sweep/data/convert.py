"""Convert COCO JSON, Pascal VOC XML, YOLO or CSV (+ images) into an OD API dataset folder.

The folder (sharded TFRecords, ``label_map.pbtxt``, ``val_coco_gt.json``) is built
under a temporary name and renamed into place only when complete.
"""

from __future__ import annotations

import io
import math
import os
import random
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tfod_sweep.data.coco_gt import CocoGtBuilder
from tfod_sweep.data.csv_source import read_csv_boxes
from tfod_sweep.data.label_map import read_label_map, write_label_map
from tfod_sweep.data.records import ImageRecord, ObjectAnnotation
from tfod_sweep.data.sources import SourceImage, read_coco, read_voc
from tfod_sweep.data.tfrecord_io import shard_glob, write_shards
from tfod_sweep.data.yolo_source import read_yolo
from tfod_sweep.errors import DataError

FORMATS = ("coco", "voc", "yolo", "csv")
ON_ERROR = ("stop", "skip")
_CLIP_TOLERANCE = 1.0  # px: boxes this far past the edge are clipped, not rejected
_IMAGES_PER_SHARD = 1000


@dataclass
class ConvertResult:
    """Where the converted dataset is, and what was skipped (with reasons)."""

    out_dir: str
    train: str
    val: str
    label_map: str
    val_coco_gt: str
    class_names: list[str]
    num_train: int = 0
    num_val: int = 0
    skipped: list[str] = field(default_factory=list)


def convert_dataset(
    fmt: str,
    train: str,
    out_dir: str,
    *,
    train_images: str | None = None,
    val: str | None = None,
    val_images: str | None = None,
    val_fraction: float = 0.2,
    label_map: str | None = None,
    train_shards: int | None = None,
    val_shards: int | None = None,
    on_error: str = "stop",
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = False,
) -> ConvertResult:
    """Convert one annotated dataset; without a val split a seeded ``val_fraction`` is split off.

    ``train`` is the annotations (for ``yolo``: the data.yaml, which names both splits).

    ``on_error="stop"`` raises DataError at the first bad image; ``"skip"`` leaves it
    out and lists it in ``ConvertResult.skipped`` (and ``skipped.txt``).
    """
    if fmt not in FORMATS or on_error not in ON_ERROR:
        raise DataError(f"format must be one of {FORMATS} and on_error one of {ON_ERROR}")
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not overwrite:
        raise DataError(f"{out_dir}: output already exists (pass --overwrite to replace it)")
    train_set, val_set, source_names = _read_splits(fmt, train, train_images, val, val_images)
    if val_set is None:
        if not 0.0 < val_fraction < 1.0:
            raise DataError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        train_set, val_set = _split(train_set, val_fraction, seed)
    names = list(read_label_map(label_map).values()) if label_map else source_names
    if not names:
        raise DataError(f"{train}: no classes found")
    ids = {name: i for i, name in enumerate(names, start=1)}
    _number_images(train_set, val_set)

    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    n_train, n_val = len(train_set), len(val_set)
    shards = (train_shards or _auto_shards(n_train), val_shards or _auto_shards(n_val))
    result = ConvertResult(
        out_dir=out_dir,
        train=os.path.join(out_dir, shard_glob("train", shards[0])),
        val=os.path.join(out_dir, shard_glob("val", shards[1])),
        label_map=os.path.join(out_dir, "label_map.pbtxt"),
        val_coco_gt=os.path.join(out_dir, "val_coco_gt.json"),
        class_names=names,
    )
    try:
        from tqdm import tqdm

        with tqdm(total=n_train + n_val, unit="img", disable=None if progress else True) as bar:
            counts = {"train": 0, "val": 0}

            def records(split: str, items: Sequence[SourceImage]) -> Iterator[ImageRecord]:
                for item in items:
                    bar.update(1)
                    record = _to_record(item, ids, on_error, result.skipped)
                    if record is not None:
                        counts[split] += 1
                        yield record

            write_shards(records("train", train_set), tmp, "train", shards[0])
            gt = CocoGtBuilder(names, description=f"converted from {val or train}")
            write_shards(gt.tap(records("val", val_set)), tmp, "val", shards[1])
        result.num_train, result.num_val = counts["train"], counts["val"]
        if not result.num_train or not result.num_val:
            empty = "train" if not result.num_train else "val"
            raise DataError(f"{val if empty == 'val' and val else train}: no usable {empty} images")
        gt.write(os.path.join(tmp, "val_coco_gt.json"))
        write_label_map(os.path.join(tmp, "label_map.pbtxt"), names)
        if result.skipped:
            with open(os.path.join(tmp, "skipped.txt"), "w", encoding="utf-8") as handle:
                handle.write("\n".join(result.skipped) + "\n")
        os.chmod(tmp, 0o755)
        _replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _read_splits(
    fmt: str, train: str, train_images: str | None, val: str | None, val_images: str | None
) -> tuple[list[SourceImage], list[SourceImage] | None, list[str]]:
    """Train images, val images (None: split them off) and class names in label-map order."""
    if fmt == "yolo":
        if val or train_images or val_images:
            raise DataError(f"{train}: a YOLO data.yaml names its own splits and image folders; "
                            "give only its path")
        dataset = read_yolo(train)
        return dataset.train, dataset.val, dataset.names
    train_set, names = _read(fmt, train, train_images)
    if val is None:
        return train_set, None, names
    val_set, val_names = _read(fmt, val, val_images)
    return train_set, val_set, names + [n for n in val_names if n not in names]


def _read(fmt: str, source: str, images_dir: str | None) -> tuple[list[SourceImage], list[str]]:
    if fmt == "coco":
        return read_coco(source, images_dir)
    if fmt == "csv":
        return read_csv_boxes(source, images_dir)
    images = read_voc(source, images_dir)
    return images, sorted({box.name for image in images for box in image.boxes})


def _split(
    images: list[SourceImage], fraction: float, seed: int
) -> tuple[list[SourceImage], list[SourceImage]]:
    """Seeded split, independent of file-system order, keeping each part in source order."""
    order = list(range(len(images)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(fraction * len(images)))
    val_idx = set(order[:n_val])
    return (
        [im for i, im in enumerate(images) if i not in val_idx],
        [im for i, im in enumerate(images) if i in val_idx],
    )


def _number_images(train: list[SourceImage], val: list[SourceImage]) -> None:
    """Keep COCO image ids when unique within a split (traceable), else number 1..N."""
    for split in (train, val):
        ids = [im.image_id for im in split]
        if None in ids or len(set(ids)) != len(ids):
            for number, image in enumerate(split, start=1):
                image.image_id = number


def _auto_shards(count: int) -> int:
    return max(1, math.ceil(count / _IMAGES_PER_SHARD))


def _to_record(
    item: SourceImage, ids: dict[str, int], on_error: str, skipped: list[str]
) -> ImageRecord | None:
    """Build a record, or report the first problem (raise on stop, list on skip)."""
    try:
        if item.problem:
            raise DataError(item.problem)
        return _build(item, ids)
    except DataError as exc:
        if on_error == "stop":
            raise
        skipped.append(str(exc))
        return None


def _build(item: SourceImage, ids: dict[str, int]) -> ImageRecord:
    encoded, fmt, width, height = load_image(item.image_path)
    if item.width and item.height and (item.width, item.height) != (width, height):
        raise DataError(
            f"{item.where}: annotation says {item.width}x{item.height} but "
            f"{item.image_path} is {width}x{height}"
        )
    scale_x, scale_y = (width, height) if item.normalized else (1, 1)
    objects = []
    for j, box in enumerate(item.boxes):
        line = box.where or f"{item.where}: box {j}"  # "file: line N" or "file: box j"
        at = f"{box.where}: box" if box.where else line
        if box.name not in ids:
            raise DataError(f"{line}: class {box.name!r} is not in the label map")
        xmin, xmax = box.xmin * scale_x, box.xmax * scale_x
        ymin, ymax = box.ymin * scale_y, box.ymax * scale_y
        coords = f"[{xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}]"
        if xmin >= xmax or ymin >= ymax:
            raise DataError(f"{at} {coords} is degenerate (need min < max)")
        tol = _CLIP_TOLERANCE
        if min(xmin, ymin) < -tol or xmax > width + tol or ymax > height + tol:
            raise DataError(f"{at} {coords} is outside the {width}x{height} image")
        objects.append(
            ObjectAnnotation(
                xmin=max(0.0, xmin),
                ymin=max(0.0, ymin),
                xmax=min(float(width), xmax),
                ymax=min(float(height), ymax),
                label=ids[box.name],
                text=box.name,
                is_crowd=box.is_crowd,
            )
        )
    assert item.image_id is not None
    return ImageRecord(item.image_id, item.file_name, encoded, fmt, width, height, objects)


def load_image(path: str) -> tuple[bytes, str, int, int]:
    """Read and fully decode an image; keep JPEG/PNG bytes as-is, re-encode others as PNG.

    Decoding here (not only at training time) is what catches truncated files.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            fmt, mode = (image.format or "").lower(), image.mode
            if fmt in ("jpeg", "png") and mode in ("RGB", "L", "RGBA", "P", "LA"):
                return data, fmt, image.width, image.height
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG")
            return buffer.getvalue(), "png", image.width, image.height
    except FileNotFoundError:
        raise DataError(f"{path}: image file does not exist") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DataError(f"{path}: image does not decode ({exc})") from None


def _replace(tmp: str, out_dir: str) -> None:
    """Move the finished folder into place; an old one is removed only after that."""
    if not os.path.exists(out_dir):
        os.rename(tmp, out_dir)
        return
    old = tempfile.mkdtemp(
        prefix=f".{os.path.basename(out_dir)}.old-", dir=os.path.dirname(out_dir)
    )
    os.rename(out_dir, os.path.join(old, "previous"))
    os.rename(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)
