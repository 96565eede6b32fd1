"""What tfod-sweep knows about one OD API meta-architecture, as plain data.

One `Architecture` per member of the `DetectionModel` oneof, the way the OD API's
`model_builder` maps that name to a builder. Everything that differs between
architectures lives in these records; the rest of the package asks for them instead of
comparing architecture names. TF-free: the records read and write protobuf messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tfod_sweep.config.ranges import Allowed


@dataclass(frozen=True)
class Key:
    """An experiment key of one architecture: its range and the proto fields it sets.

    Paths are relative to the architecture's message (e.g. `model.ssd`); each field on
    the list gets the same value.
    """

    allowed: Allowed
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SideRule:
    """Which input sides the model's feature extractor accepts, and why (for the error).

    A side must be a multiple of `multiple` and at least `minimum` (the extractor's own
    `check_min_image_dim`).
    """

    multiple: int
    why: str
    minimum: int = 33

    @property
    def smallest(self) -> int:
        """The smallest side that passes both conditions."""
        return -(-self.minimum // self.multiple) * self.multiple

    def accepts(self, side: int) -> bool:
        return side >= self.minimum and side % self.multiple == 0


def no_keys(model: Any) -> Mapping[str, Key]:
    """A section this architecture (or extractor) has no keys in."""
    del model
    return {}


@dataclass(frozen=True)
class Architecture:
    """One meta-architecture: keys, ranges, resolution rule, losses, evaluation options.

    Attributes:
        name: the `DetectionModel` oneof member, e.g. "ssd", as in metrics.json `arch`.
        title: how tables and help text name it.
        loss_keys: `loss.*` keys this architecture has.
        backbone_keys: `backbone.*` keys the zoo config's feature extractor honours
            (they differ within one architecture, e.g. EfficientDet vs MobileNet SSD).
        side_rule: the resolution rule for the zoo config's extractor (measured).
        loss_components: the `Loss/...` values training reports, in table order.
        fast_nms: fields that switch evaluation to the one-op combined NMS (None: the
            architecture has no such option, and `eval.nms` changes nothing).
        max_detections: field holding how many boxes an image keeps (TFLite export);
            None: the OD API has no TFLite path for it.
        tflite_resizes_input: the TFLite graph takes plainly resized images instead of
            the model's own preprocessing (CenterNet's TFLite module does its own).
        anchor_keys: `anchors.*` keys the zoo config's anchor generator honours (none for
            CenterNet, plain MobileNet SSD's per-layer generator and Faster R-CNN's grid).
    """

    name: str
    title: str
    loss_keys: Mapping[str, Key]
    backbone_keys: Callable[[Any], Mapping[str, Key]]
    side_rule: Callable[[Any, Mapping[str, Any]], SideRule]
    loss_components: tuple[str, ...]
    fast_nms: Mapping[str, Any] | None = None
    max_detections: str | None = None
    tflite_resizes_input: bool = False
    anchor_keys: Callable[[Any], Mapping[str, Key]] = no_keys
