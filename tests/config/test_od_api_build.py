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
