"""The registry's resolution rules agree with the real models, both ways (builds models).

Each case builds the zoo config's model at one side and runs it once: a side the rule
accepts must run, a side it refuses must fail inside the model. This is how the rules in
tfod_sweep/registry were measured.
"""

from __future__ import annotations

import pytest

from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError
from tfod_sweep.pipeline import build_pipeline

pytestmark = pytest.mark.slow

CASES = [  # model, side, accepted
    ("efficientdet_d0", 256, True), ("efficientdet_d0", 192, False),
    ("efficientdet_d0", 128, False),  # below the extractor's 129
    ("retinanet50_640", 192, True), ("retinanet50_640", 176, False),
    ("retinanet50_640", 128, False),  # below the extractor's 129
    ("ssd_mobilenet_v1_fpn_640", 96, True), ("ssd_mobilenet_v1_fpn_640", 112, False),
    ("ssd_mobilenet_v2_300", 100, True),
    ("centernet512", 96, True), ("centernet512", 112, False),
    ("centernet_hg104_512", 128, True), ("centernet_hg104_512", 192, False),
    ("faster_rcnn50_640", 100, True),
    ("faster_rcnn50_fpn_640", 96, True), ("faster_rcnn50_fpn_640", 112, False),
]


@pytest.mark.parametrize(("model", "side", "accepted"), CASES)
def test_resolution_rule_matches_the_model(compose_cfg, model, side, accepted):
    import tensorflow as tf
    from object_detection.builders import model_builder

    cfg = compose_cfg(f"model={model}", f"resolution.height={side}",
                      f"resolution.width={side}")
    if accepted:
        validate_config(cfg)
    else:
        with pytest.raises(ConfigError, match=f"resolution.(height|width)={side} is out of "
                                              "range"):
            validate_config(cfg)
    pipeline = build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt")
    tf.keras.backend.clear_session()
    detector = model_builder.build(model_config=pipeline.model, is_training=False)
    images, shapes = detector.preprocess(tf.zeros([1, side, side, 3]))
    assert images.shape[1:3] == (side, side)
    if accepted:
        detector.postprocess(detector.predict(images, shapes), shapes)
    else:
        with pytest.raises((tf.errors.InvalidArgumentError, ValueError)):
            detector.predict(images, shapes)
