"""How `resolution` sets a zoo config's image resizer, whichever kind the zoo config uses.

- `fixed_shape_resizer`: the network sees height x width.
- `keep_aspect_ratio_resizer` (EfficientDet, CenterNet, most Faster R-CNN configs):
  `resolution.height` is the short side (`min_dimension`) and `resolution.width` the
  long side (`max_dimension`); every zoo config of this kind pads to width x width, so
  `resolution=800x1333` is Faster R-CNN's 800/1333 and `resolution=512` a 512 square.
"""

from __future__ import annotations

from typing import Any

from tfod_sweep.errors import ConfigError

FIXED = "fixed_shape_resizer"
KEEP_ASPECT = "keep_aspect_ratio_resizer"


def resizer_kind(model: Any) -> str:
    """The image resizer the zoo config uses; only the two above are supported."""
    kind = model.image_resizer.WhichOneof("image_resizer_oneof")
    if kind not in (FIXED, KEEP_ASPECT):
        raise ConfigError(f"resolution: the zoo config's {kind!r} resizer is not supported: "
                          f"allowed {FIXED} or {KEEP_ASPECT}")
    return str(kind)


def network_sides(model: Any, height: int, width: int) -> dict[str, int]:
    """`resolution` key -> the input side it decides (what the extractor must accept)."""
    if resizer_kind(model) == FIXED:
        return {"height": height, "width": width}
    if not model.image_resizer.keep_aspect_ratio_resizer.pad_to_max_dimension:
        raise ConfigError("resolution: the zoo config resizes without padding: not supported")
    return {"width": width}


def check_order(model: Any, height: int, width: int) -> None:
    """A keep-aspect resizer needs its short side first."""
    if resizer_kind(model) == KEEP_ASPECT and height > width:
        raise ConfigError(
            f"resolution={height}x{width} is out of range: this model keeps the aspect ratio "
            "(short side = height, padded to width x width): allowed height <= width"
        )


def set_resolution(model: Any, height: int, width: int) -> None:
    """Write `resolution` into the zoo config's resizer (its other settings stay)."""
    if resizer_kind(model) == FIXED:
        model.image_resizer.fixed_shape_resizer.height = height
        model.image_resizer.fixed_shape_resizer.width = width
    else:
        model.image_resizer.keep_aspect_ratio_resizer.min_dimension = height
        model.image_resizer.keep_aspect_ratio_resizer.max_dimension = width

