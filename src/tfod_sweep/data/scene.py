"""Compose one synthetic image: textured background, 1-N shapes, bounded occlusion.

Every random choice comes from the ``rng`` passed in, so a scene is a pure
function of its seed and the dataset bytes are reproducible.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from tfod_sweep.data.records import ObjectAnnotation
from tfod_sweep.data.shapes import SHAPES, class_colour, class_shape, shape_alpha

MIN_VISIBLE = 0.7  # a later shape may hide at most 30 % of an earlier one
_PLACEMENT_TRIES = 12
#: Probability of a small / medium / large object (COCO area buckets).
_SIZE_PROBS = (0.2, 0.45, 0.35)  # big ones fail placement more: ~1/3 end up small
_SIZE_CDF = np.cumsum(_SIZE_PROBS)[:-1]
#: Small shapes stay >= 22 px by default: smaller ones are hard to recognise, and SSD's
#: smallest zoo anchors (32 px) would match them with IoU < 0.5.
DEFAULT_MIN_SIDE = 22


def side_ranges(image_size: int, min_side: int = DEFAULT_MIN_SIDE) -> list[tuple[float, float]]:
    """Side-length ranges whose box areas fall in COCO small (<32²), medium, large (>96²)."""
    return [
        (float(min_side), 31.0),
        (34.0, 92.0),
        (100.0, max(101.0, 0.85 * image_size)),
    ]


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Low-saturation textured field: smooth blotches, optionally stripes, never vivid."""
    base = np.float32(rng.uniform(70.0, 185.0))
    tint = rng.uniform(-14.0, 14.0, size=3).astype(np.float32)
    cells = int(rng.integers(3, 9))
    blotches = rng.normal(0.0, 20.0, size=(cells, cells)).astype(np.float32)
    field = np.asarray(
        Image.fromarray(blotches, mode="F").resize((size, size), Image.Resampling.BICUBIC)
    )
    style = int(rng.integers(3))
    if style > 0:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        theta = rng.uniform(0.0, math.pi)
        period = rng.uniform(6.0, 24.0)
        phase = (xx * math.cos(theta) + yy * math.sin(theta)) / period
        wave = np.sin(2 * math.pi * phase) if style == 1 else np.sign(np.sin(2 * math.pi * phase))
        field = field + np.float32(rng.uniform(4.0, 10.0)) * wave
    return base + field[..., None] + tint[None, None, :]


def _same_colour_near(
    placed: list[tuple[int, tuple[int, int, int, int]]], colour_index: int, box: tuple
) -> bool:
    """True if a same-colour shape touches ``box``: it would merge into one blob."""
    x0, y0, x1, y1 = box
    for other_colour, (a0, b0, a1, b1) in placed:
        if other_colour != colour_index:
            continue
        if x0 < a1 + 2 and a0 < x1 + 2 and y0 < b1 + 2 and b0 < y1 + 2:
            return True
    return False


def render_scene(
    rng: np.random.Generator, image_size: int, class_names: list[str], max_objects: int = 6,
    min_side: int = DEFAULT_MIN_SIDE,
) -> tuple[np.ndarray, list[ObjectAnnotation]]:
    """Return an ``(S, S, 3)`` uint8 image and its boxes (amodal, absolute pixels)."""
    size = image_size
    image = background(rng, size)
    owner = np.full((size, size), -1, dtype=np.int32)
    full_area: list[int] = []
    visible: list[int] = []
    placed: list[tuple[int, tuple[int, int, int, int]]] = []
    objects: list[ObjectAnnotation] = []
    ranges = side_ranges(size, min_side)
    for _ in range(int(rng.integers(1, max_objects + 1))):
        class_index = int(rng.integers(len(class_names)))
        colour_index = class_index // len(SHAPES)
        for _attempt in range(_PLACEMENT_TRIES):
            low, high = ranges[int(np.searchsorted(_SIZE_CDF, rng.random(), side="right"))]
            side = rng.uniform(low, high)
            aspect = math.exp(rng.uniform(math.log(0.8), math.log(1.25)))
            w = int(min(size, round(side * math.sqrt(aspect))))
            h = int(min(size, round(side / math.sqrt(aspect))))
            x0 = int(rng.integers(0, size - w + 1))
            y0 = int(rng.integers(0, size - h + 1))
            angle = rng.uniform(-0.17, 0.17)  # about ±10°: squares stay squares
            if _same_colour_near(placed, colour_index, (x0, y0, x0 + w, y0 + h)):
                continue
            alpha = shape_alpha(class_shape(class_index), w, h, angle)
            mask = alpha > 0.5
            if not mask.any():
                continue
            region_owner = owner[y0 : y0 + h, x0 : x0 + w]
            hidden = region_owner[mask]
            counts = np.bincount(hidden[hidden >= 0], minlength=len(objects))
            if any(
                v - c < MIN_VISIBLE * a for v, c, a in zip(visible, counts, full_area, strict=True)
            ):
                continue
            for other, count in enumerate(counts):
                visible[other] -= int(count)
            region_owner[mask] = len(objects)
            full_area.append(int(mask.sum()))
            visible.append(full_area[-1])
            placed.append((colour_index, (x0, y0, x0 + w, y0 + h)))
            _paint(rng, image, alpha, class_colour(class_index), x0, y0)
            ys, xs = np.nonzero(mask)
            objects.append(
                ObjectAnnotation(
                    xmin=float(x0 + xs.min()),
                    ymin=float(y0 + ys.min()),
                    xmax=float(x0 + xs.max() + 1),
                    ymax=float(y0 + ys.max() + 1),
                    label=class_index + 1,
                    text=class_names[class_index],
                )
            )
            break
    # Uniform sensor noise (std 2..8): as good as Gaussian here and 5x cheaper to draw.
    spread = np.float32(rng.uniform(2.0, 8.0) * math.sqrt(12.0))
    image += spread * (rng.random(size=image.shape, dtype=np.float32) - np.float32(0.5))
    return np.clip(image, 0, 255).round().astype(np.uint8), objects


def _paint(
    rng: np.random.Generator,
    image: np.ndarray,
    alpha: np.ndarray,
    colour: tuple[int, int, int],
    x0: int,
    y0: int,
) -> None:
    """Alpha-blend a jittered, gently shaded colour into ``image`` in place."""
    h, w = alpha.shape
    jitter = rng.uniform(-18, 18, size=3)
    rgb = np.clip(np.asarray(colour) + jitter, 0, 255).astype(np.float32)
    shade = np.linspace(1.0 - rng.uniform(0, 0.12), 1.0, h, dtype=np.float32)[:, None, None]
    region = image[y0 : y0 + h, x0 : x0 + w]
    a = alpha[..., None]
    region *= 1.0 - a
    region += (a * shade) * rgb
