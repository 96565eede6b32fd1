"""`python -m tests.zoo.build_one MODEL`: build one model at its smallest valid side and
compute one training loss; print one JSON line (times, peak memory, losses).

A process per model, so the peak resident memory is that model's alone.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from hydra import compose, initialize_config_dir

from tests.conftest import CONF_DIR
from tfod_sweep.config import register_configs, validate_config
from tfod_sweep.pipeline import build_pipeline
from tfod_sweep.registry import of_pipeline
from tfod_sweep.registry.resizer import KEEP_ASPECT, resizer_kind
from tfod_sweep.zoo import load_zoo_config


def smallest_side(zoo_config: str) -> int:
    """The smallest square side the registry accepts for this zoo config."""
    pipeline = load_zoo_config(zoo_config)
    arch = of_pipeline(pipeline)
    return arch.side_rule(getattr(pipeline.model, arch.name), {}).smallest


def main(model: str) -> dict[str, object]:
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"model={model}", "paths.outputs=unused"])
    side = max(smallest_side(cfg.model.zoo_config), 64)
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"model={model}", "paths.outputs=unused",
                                           f"resolution.height={side}",
                                           f"resolution.width={side}"])
    validate_config(cfg)
    pipeline = build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt")
    start = time.perf_counter()
    import tensorflow as tf
    from object_detection.builders import model_builder

    imported = time.perf_counter()
    detector = model_builder.build(model_config=pipeline.model, is_training=True)
    images, shapes = detector.preprocess(tf.zeros([1, side, side, 3]))
    classes = cfg.dataset.num_classes
    detector.provide_groundtruth(
        groundtruth_boxes_list=[tf.constant([[0.1, 0.1, 0.6, 0.5]])],
        groundtruth_classes_list=[tf.one_hot([2], classes)],
        groundtruth_weights_list=[tf.ones([1])])
    losses = detector.loss(detector.predict(images, shapes), shapes)
    done = time.perf_counter()
    return {
        "model": model,
        "side": side,
        "keep_aspect": resizer_kind(getattr(pipeline.model, of_pipeline(pipeline).name))
        == KEEP_ASPECT,
        "tf_import_s": round(imported - start, 1),
        "build_and_loss_s": round(done - imported, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "parameters": int(sum(v.shape.num_elements() for v in detector.trainable_variables)),
        "losses": {name: float(value) for name, value in losses.items()},
    }


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(sys.argv[1])))
