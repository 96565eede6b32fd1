"""Faster R-CNN (`model.faster_rcnn`): ResNet 50/101/152 v1, and ResNet-50 FPN.

The tunable losses are the weights of the two stages' losses: the region proposal
network's box and objectness losses and the box classifier's box and class losses.
The second stage's NMS is called with `change_coordinate_frame=True` and per-image box
counts, which the combined NMS op refuses, so there is no fast-NMS option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfod_sweep.config.ranges import at_least
from tfod_sweep.registry.base import Architecture, Key, SideRule, no_keys

LOSS_KEYS = {
    "first_stage_localization_weight": Key(at_least(0),
                                           ("first_stage_localization_loss_weight",)),
    "first_stage_objectness_weight": Key(at_least(0), ("first_stage_objectness_loss_weight",)),
    "second_stage_localization_weight": Key(at_least(0),
                                            ("second_stage_localization_loss_weight",)),
    "second_stage_classification_weight": Key(at_least(0),
                                              ("second_stage_classification_loss_weight",)),
}

#: Measured side multiples per extractor (tests/config/test_registry_build.py).
SIDE_MULTIPLES = {
    "faster_rcnn_resnet50_fpn_keras": (32, "the FPN merges feature levels up to stride 32"),
}


def _side_rule(faster_rcnn: Any, backbone: Mapping[str, Any]) -> SideRule:
    del backbone
    multiple, why = SIDE_MULTIPLES.get(faster_rcnn.feature_extractor.type,
                                       (1, "the extractor has no FPN"))
    return SideRule(multiple, why)


ARCH = Architecture(
    name="faster_rcnn",
    title="Faster R-CNN",
    loss_keys=LOSS_KEYS,
    backbone_keys=no_keys,  # the zoo's ResNet extractors read no depth or FPN settings
    side_rule=_side_rule,
    loss_components=(
        "Loss/RPNLoss/localization_loss",
        "Loss/RPNLoss/objectness_loss",
        "Loss/BoxClassifierLoss/localization_loss",
        "Loss/BoxClassifierLoss/classification_loss",
        "Loss/regularization_loss",
        "Loss/total_loss",
    ),
)
