"""The synthetic classes: seven shapes in up to six colours, drawn as soft masks.

Shapes and colours are picked to stay distinguishable even at ~22 px, so a
small detector trained from scratch can learn them in a few minutes.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from tfod_sweep.errors import ConfigError

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "cross", "ring")

#: Saturated colours, far from each other and from the grey-ish backgrounds.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 175, 40),
    "blue": (35, 70, 230),
    "yellow": (240, 215, 20),
    "magenta": (215, 40, 215),
    "cyan": (25, 205, 215),
}

_SUPERSAMPLE = 4  # draw 4x larger, then box-filter down: anti-aliased edges


def class_names(num_classes: int) -> list[str]:
    """Names for label ids 1..N, colour-major, so shapes21 ids are a prefix of shapes42's."""
    per_colour = len(SHAPES)
    if num_classes % per_colour or not 1 <= num_classes // per_colour <= len(COLOURS):
        allowed = ", ".join(str(per_colour * k) for k in range(1, len(COLOURS) + 1))
        raise ConfigError(
            f"dataset.synthetic.num_classes={num_classes} is out of range: "
            f"allowed one of {allowed}"
        )
    colours = list(COLOURS)[: num_classes // per_colour]
    return [f"{colour}_{shape}" for colour in colours for shape in SHAPES]


def class_colour(class_index: int) -> tuple[int, int, int]:
    """RGB of a 0-based class index, following ``class_names`` order."""
    return list(COLOURS.values())[class_index // len(SHAPES)]


def class_shape(class_index: int) -> str:
    """Shape name of a 0-based class index, following ``class_names`` order."""
    return SHAPES[class_index % len(SHAPES)]


def _polygon(shape: str) -> list[tuple[float, float]]:
    """Unit-box outline of a polygonal shape, centred at (0, 0), y pointing down."""
    if shape == "square":
        return [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    if shape == "triangle":
        return [(0, -1), (1, 1), (-1, 1)]
    if shape == "diamond":
        return [(0, -1), (1, 0), (0, 1), (-1, 0)]
    if shape == "star":
        points = []
        for k in range(10):
            radius = 1.0 if k % 2 == 0 else 0.45
            angle = -math.pi / 2 + k * math.pi / 5
            points.append((radius * math.cos(angle), radius * math.sin(angle)))
        return points
    if shape == "cross":
        a = 0.34
        return [
            (-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a),
            (a, 1), (-a, 1), (-a, a), (-1, a), (-1, -a), (-a, -a),
        ]  # fmt: skip
    raise ValueError(f"unknown polygon shape {shape!r}")


def _fit(points: list[tuple[float, float]], angle: float, w: int, h: int) -> list[tuple]:
    """Rotate by ``angle`` and stretch so the outline touches all four canvas edges."""
    cos, sin = math.cos(angle), math.sin(angle)
    rotated = [(x * cos - y * sin, x * sin + y * cos) for x, y in points]
    xs, ys = [p[0] for p in rotated], [p[1] for p in rotated]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sw, sh = w * _SUPERSAMPLE - 1, h * _SUPERSAMPLE - 1
    return [((x - x0) / (x1 - x0) * sw, (y - y0) / (y1 - y0) * sh) for x, y in rotated]


def shape_alpha(shape: str, width: int, height: int, angle: float = 0.0) -> np.ndarray:
    """Return an anti-aliased coverage mask (float32 in [0, 1]) of shape ``(height, width)``."""
    big = Image.new("L", (width * _SUPERSAMPLE, height * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    box = (0, 0, width * _SUPERSAMPLE - 1, height * _SUPERSAMPLE - 1)
    if shape in ("circle", "ring"):
        draw.ellipse(box, fill=255)
        if shape == "ring":
            inset_x, inset_y = 0.3 * width * _SUPERSAMPLE, 0.3 * height * _SUPERSAMPLE
            inner = (box[0] + inset_x, box[1] + inset_y, box[2] - inset_x, box[3] - inset_y)
            draw.ellipse(inner, fill=0)
    else:
        draw.polygon(_fit(_polygon(shape), angle, width, height), fill=255)
    small = big.resize((width, height), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0
