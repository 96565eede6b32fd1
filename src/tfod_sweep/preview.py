"""preview.png: a grid of val images with ground truth and the model's detections.

A user sees at a glance what a run's model does: which objects it finds, which class it
calls them, how sure it is. The images are the first records of the val split, in file
order, so every run of a study shows the same ones and previews can be compared.
Drawing is PIL only; reading the records imports TensorFlow lazily, as the data tools do.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from tfod_sweep.data.tfrecord_io import expand_paths, read_serialized
from tfod_sweep.tf_logging import import_tensorflow

#: Ground truth is drawn thin and white; a detection in its class's colour with a label.
GROUND_TRUTH_COLOUR = (255, 255, 255)
PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
           (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0))


@dataclass
class PreviewImage:
    """One val image and its ground-truth boxes (category id, x, y, w, h in pixels)."""

    image_id: int | str
    image: Image.Image
    boxes: list[tuple[int, float, float, float, float]] = field(default_factory=list)


def read_preview_images(patterns: str | Sequence[str], count: int = 12) -> list[PreviewImage]:
    """The first `count` records of the TFRecord files `patterns`, in sorted file order."""
    tf = import_tensorflow(verbose=False)

    found: list[PreviewImage] = []
    for path in expand_paths(patterns, what="val TFRecord"):
        for data in read_serialized(path):
            found.append(_preview_image(tf.train.Example.FromString(data)))
            if len(found) == count:
                return found
    return found


def _preview_image(example: Any) -> PreviewImage:
    feats = example.features.feature

    def values(key: str) -> list[Any]:
        if key not in feats:
            return []
        kind = feats[key].WhichOneof("kind")
        return list(getattr(feats[key], kind).value) if kind else []

    image = Image.open(io.BytesIO(values("image/encoded")[0])).convert("RGB")
    width, height = image.size
    source = values("image/source_id")[0].decode()
    boxes = [
        (int(label), xmin * width, ymin * height, (xmax - xmin) * width, (ymax - ymin) * height)
        for label, xmin, ymin, xmax, ymax in zip(
            values("image/object/class/label"), values("image/object/bbox/xmin"),
            values("image/object/bbox/ymin"), values("image/object/bbox/xmax"),
            values("image/object/bbox/ymax"), strict=True)
    ]
    return PreviewImage(int(source) if source.isdigit() else source, image, boxes)


def draw_preview(images: Sequence[PreviewImage], detections: Sequence[Mapping[str, Any]],
                 names: Mapping[int, str], path: Path, min_score: float = 0.5,
                 columns: int = 4, scale: int = 2) -> Path:
    """Tile `images` with their ground truth and detections scoring >= `min_score`.

    Args:
        images: the val images, with ground truth.
        detections: COCO results (image_id, category_id, bbox xywh in pixels, score).
        names: category id -> class name, for the labels.
        path: where the PNG goes.
        min_score: detections below it are not drawn (the COCO metrics still count them).
        columns: images per row.
        scale: small images are enlarged so that labels stay readable.
    """
    if not images:
        raise ValueError("no val images to preview")
    by_image: dict[int | str, list[Mapping[str, Any]]] = {}
    for det in detections:
        if det["score"] >= min_score:
            by_image.setdefault(det["image_id"], []).append(det)
    tiles = [_tile(item, by_image.get(item.image_id, []), names, scale) for item in images]
    tile_w = max(t.width for t in tiles)
    tile_h = max(t.height for t in tiles)
    rows = -(-len(tiles) // columns)
    gap = 4
    sheet = Image.new("RGB", (columns * (tile_w + gap) - gap, rows * (tile_h + gap) - gap),
                      (40, 40, 40))
    for index, tile in enumerate(tiles):
        row, col = divmod(index, columns)
        sheet.paste(tile, (col * (tile_w + gap), row * (tile_h + gap)))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG", compress_level=1)  # fast: ~0.1 s instead of ~0.4 s
    return path


def _tile(item: PreviewImage, detections: Sequence[Mapping[str, Any]],
          names: Mapping[int, str], scale: int) -> Image.Image:
    tile = item.image.resize((item.image.width * scale, item.image.height * scale),
                             Image.NEAREST)
    draw = ImageDraw.Draw(tile)
    font = ImageFont.load_default()
    for _, x, y, w, h in item.boxes:
        draw.rectangle(_corners(x, y, w, h, scale), outline=GROUND_TRUTH_COLOUR, width=1)
    for det in sorted(detections, key=lambda d: d["score"]):  # most confident drawn last
        category = int(det["category_id"])
        colour = PALETTE[category % len(PALETTE)]
        x0, y0, x1, y1 = _corners(*det["bbox"], scale)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=2)
        label = f"{names.get(category, str(category))} {det['score']:.2f}"
        left, top, right, bottom = draw.textbbox((x0, y0), label, font=font)
        lift = min(bottom - top + 2, y0)
        draw.rectangle((left, top - lift, right + 2, bottom - lift), fill=colour)
        draw.text((x0 + 1, y0 - lift), label, fill=(0, 0, 0), font=font)
    return tile


def _corners(x: float, y: float, w: float, h: float, scale: int) -> tuple[int, ...]:
    return tuple(round(v * scale) for v in (x, y, x + w, y + h))
