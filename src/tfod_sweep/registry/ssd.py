"""SSD (`model.ssd`): MobileNet SSD and FPNLite, RetinaNet (ResNet-FPN) and EfficientDet.

The backbone keys depend on the feature extractor, as its OD API class reads them:
- MobileNet v1/v2 FPN: depth and FPN keys (FPNLite is MobileNet v2 FPN with depthwise
  convolutions);
- ResNet v1 FPN (RetinaNet): the same without `use_depthwise`, which it refuses;
- plain MobileNet v2: depth keys only (no FPN);
- EfficientNet-BiFPN (EfficientDet): `depth_multiplier` must stay 1.0 (the extractor
  raises otherwise), `min_depth` only floors the BiFPN width (64 filters or more) and
  `use_depthwise` is refused: the family is scaled by its D0..D7 configs instead.
Every SSD zoo config has batch norm in its extractor and box predictor.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from tfod_sweep.config.ranges import ANY, above, at_least, int_range, open_interval
from tfod_sweep.registry.base import Architecture, Key, SideRule
from tfod_sweep.registry.fields import get_field

_FOCAL = "loss.classification_loss.weighted_sigmoid_focal"
LOSS_KEYS = {
    "gamma": Key(at_least(0), (f"{_FOCAL}.gamma",)),
    "alpha": Key(open_interval(0, 1), (f"{_FOCAL}.alpha",)),
}

_DEPTH = {
    "depth_multiplier": Key(above(0), ("feature_extractor.depth_multiplier",)),
    "min_depth": Key(at_least(1), ("feature_extractor.min_depth",)),
}
_DEPTHWISE = {"use_depthwise": Key(ANY, ("feature_extractor.use_depthwise",))}
# Anchors must sit on exactly the feature levels the FPN produces.
_FPN = {
    "fpn_min_level": Key(int_range(3, 5), ("feature_extractor.fpn.min_level",
                                           "anchor_generator.multiscale_anchor_generator"
                                           ".min_level")),
    "fpn_max_level": Key(int_range(3, 7), ("feature_extractor.fpn.max_level",
                                           "anchor_generator.multiscale_anchor_generator"
                                           ".max_level")),
    "additional_layer_depth": Key(at_least(1), ("feature_extractor.fpn.additional_layer_depth",)),
}
_BATCH_NORM = {
    "batch_norm_decay": Key(open_interval(0, 1), (
        "feature_extractor.conv_hyperparams.batch_norm.decay",
        "box_predictor.*.conv_hyperparams.batch_norm.decay")),
}
#: Feature extractor type (a glob) -> the backbone keys its OD API class honours.
EXTRACTOR_KEYS: dict[str, dict[str, Key]] = {
    "ssd_mobilenet_v[12]_fpn_keras": _DEPTH | _DEPTHWISE | _FPN | _BATCH_NORM,
    "ssd_resnet*_v1_fpn_keras": _DEPTH | _FPN | _BATCH_NORM,
    "ssd_mobilenet_v2_keras": _DEPTH | _DEPTHWISE | _BATCH_NORM,
    "ssd_efficientnet-b*_bifpn_keras": dict(_BATCH_NORM),
}


_MULTISCALE = "anchor_generator.multiscale_anchor_generator"
#: Anchors of the multiscale generator (FPN, RetinaNet, EfficientDet): at feature level l the
#: base anchor side is scale x 2^l pixels, with scales_per_octave sizes between levels.
ANCHOR_KEYS = {
    "scale": Key(above(0), (f"{_MULTISCALE}.anchor_scale",)),
    "scales_per_octave": Key(int_range(1, 8), (f"{_MULTISCALE}.scales_per_octave",)),
}


def _anchor_keys(ssd: Any) -> Mapping[str, Key]:
    """Plain MobileNet SSD's generator (min/max scale per layer) takes none of these."""
    return ANCHOR_KEYS if ssd.anchor_generator.HasField("multiscale_anchor_generator") else {}


def _extractor_keys(ssd: Any) -> Mapping[str, Key]:
    for pattern, keys in EXTRACTOR_KEYS.items():
        if fnmatch.fnmatchcase(ssd.feature_extractor.type, pattern):
            return keys
    return {}


#: Extractors whose OD API class refuses inputs below 129 pixels (the rest: below 33).
MIN_SIDE_129 = ("ssd_resnet*_v1_fpn_keras", "ssd_efficientnet-b*_bifpn_keras")


def _side_rule(ssd: Any, backbone: Mapping[str, Any]) -> SideRule:
    """Measured (tests/config/test_registry_build.py): FPNs merge levels up to stride 32,
    the BiFPN up to its top level's (128 in every zoo config); plain MobileNet v2 takes
    any side. ResNet-FPN and EfficientNet extractors refuse sides below 129."""
    extractor = ssd.feature_extractor
    minimum = 129 if any(fnmatch.fnmatchcase(extractor.type, p) for p in MIN_SIDE_129) else 33
    if extractor.HasField("bifpn"):
        stride = 2**extractor.bifpn.max_level
        return SideRule(stride, f"the BiFPN merges feature levels up to stride {stride}",
                        minimum)
    if extractor.HasField("fpn"):
        top = backbone.get("fpn_max_level") or get_field(ssd, "feature_extractor.fpn.max_level")
        stride = 2 ** min(top, 5)
        return SideRule(stride, f"the FPN merges feature levels up to stride {stride}", minimum)
    return SideRule(1, "the extractor has no FPN", minimum)


ARCH = Architecture(
    name="ssd",
    title="SSD",
    loss_keys=LOSS_KEYS,
    backbone_keys=_extractor_keys,
    side_rule=_side_rule,
    loss_components=(
        "Loss/localization_loss",
        "Loss/classification_loss",
        "Loss/regularization_loss",
        "Loss/total_loss",
    ),
    # One class-aware NMS op instead of a loop over classes: ~20x faster on CPU.
    fast_nms={
        "post_processing.batch_non_max_suppression.use_combined_nms": True,
        "post_processing.batch_non_max_suppression.change_coordinate_frame": False,
    },
    max_detections="post_processing.batch_non_max_suppression.max_total_detections",
    anchor_keys=_anchor_keys,
)
