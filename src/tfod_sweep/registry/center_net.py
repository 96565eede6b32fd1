"""CenterNet (`model.center_net`): ResNet v1 FPN and Hourglass-104 keypoint-style detectors.

The tunable loss is the center heatmap's penalty-reduced logistic focal loss (alpha
focuses on hard pixels, beta reduces the penalty near a center). CenterNet has no NMS:
it keeps the top-scoring heatmap peaks, so `eval.nms` changes nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfod_sweep.config.ranges import at_least
from tfod_sweep.registry.base import Architecture, Key, SideRule, no_keys

_FOCAL = "object_center_params.classification_loss.penalty_reduced_logistic_focal_loss"
LOSS_KEYS = {
    "alpha": Key(at_least(0), (f"{_FOCAL}.alpha",)),
    "beta": Key(at_least(0), (f"{_FOCAL}.beta",)),
}

#: Measured side multiples per extractor (tests/config/test_registry_build.py).
SIDE_MULTIPLES = {
    "resnet_v1_101_fpn": (32, "the FPN merges feature levels up to stride 32"),
    "hourglass_104": (128, "the hourglass halves its input to stride 128 and merges back"),
}


def _side_rule(center_net: Any, backbone: Mapping[str, Any]) -> SideRule:
    del backbone
    multiple, why = SIDE_MULTIPLES.get(center_net.feature_extractor.type, (32, "stride 32"))
    return SideRule(multiple, why)


ARCH = Architecture(
    name="center_net",
    title="CenterNet",
    loss_keys=LOSS_KEYS,
    backbone_keys=no_keys,  # no zoo CenterNet extractor reads depth or FPN settings
    side_rule=_side_rule,
    loss_components=(
        "Loss/box/offset",
        "Loss/box/scale",
        "Loss/object_center",
        "Loss/total_loss",
    ),
    max_detections="object_center_params.max_box_predictions",
    tflite_resizes_input=True,
)
