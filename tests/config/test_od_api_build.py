"""Each preset's rendered pipeline.config is accepted by the OD API's own builders."""

from __future__ import annotations

import pytest

from tfod_sweep.config import validate_config
from tfod_sweep.pipeline import build_pipeline, write_pipeline


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["ssd320", "ssd640", "centernet512"])
def test_model_builder_builds_and_runs_each_preset(compose_cfg, tmp_path, preset):
    import tensorflow as tf
    from object_detection.builders import model_builder
    from object_detection.utils import config_util

    cfg = compose_cfg(f"model={preset}", "resolution='128'")
    validate_config(cfg)
    path = write_pipeline(
        build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt"),
        tmp_path / "pipeline.config")
    configs = config_util.get_configs_from_pipeline_file(str(path))
    tf.keras.backend.clear_session()
    model = model_builder.build(model_config=configs["model"], is_training=False)
    images, shapes = model.preprocess(tf.zeros([1, 128, 128, 3]))
    detections = model.postprocess(model.predict(images, shapes), shapes)
    assert detections["detection_boxes"].shape[0] == 1
    assert int(detections["num_detections"][0]) <= 100


@pytest.mark.slow
@pytest.mark.parametrize(("side", "accepted"), [(96, True), (224, True), (112, False),
                                                (176, False)])
def test_resolution_rule_matches_what_the_fpn_accepts(compose_cfg, tmp_path, side, accepted):
    """Our rule (multiples of 32) agrees with the real SSD FPNLite model, both ways."""
    import tensorflow as tf
    from object_detection.builders import model_builder

    from tfod_sweep.errors import ConfigError

    cfg = compose_cfg(f"resolution.height={side}", f"resolution.width={side}")
    if accepted:
        validate_config(cfg)
    else:
        with pytest.raises(ConfigError, match=f"resolution.height={side} is out of range"):
            validate_config(cfg)
    pipeline = build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt")
    tf.keras.backend.clear_session()
    model = model_builder.build(model_config=pipeline.model, is_training=False)
    images, shapes = model.preprocess(tf.zeros([1, side, side, 3]))
    if accepted:
        assert model.predict(images, shapes)["box_encodings"].shape[0] == 1
    else:
        with pytest.raises(tf.errors.InvalidArgumentError):
            model.predict(images, shapes)
