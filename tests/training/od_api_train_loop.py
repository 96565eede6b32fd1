"""`python -m tests.training.od_api_train_loop PIPELINE MODEL_DIR STEPS SEED OUR_RUN_DIR`.

Trains PIPELINE with the OD API's own `model_lib_v2.train_loop` at one step per call (its
default, as `model_main_tf2` uses it, is 100 steps inside one tf.function, a different
graph), seeded and deterministic with the same input-pipeline fixes as our trainer, then
prints as JSON the total loss per
step that each loop logged to its `train/` events: {"od_api": {...}, "ours": {...}}.
A helper process for test_od_api_parity, so the test process imports no TensorFlow.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

LOSS_TAG = "Loss/total_loss"


def logged_losses(model_dir: Path) -> dict[int, float]:
    """step -> total loss of the loss summaries under `model_dir/train`."""
    import tensorflow as tf

    losses = {}
    for path in sorted((model_dir / "train").glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == LOSS_TAG:
                    losses[int(event.step)] = float(tf.make_ndarray(value.tensor))
    return losses


def main() -> None:
    pipeline, model_dir, steps, seed, ours = sys.argv[1:6]
    # tfod_sweep before the OD API: TF_USE_LEGACY_KERAS and the stubs (tfod_sweep.compat).
    import tfod_sweep.training.model_setup  # noqa: F401  (and our input-pipeline fixes)
    from tfod_sweep.training.experiment import seed_everything

    model_lib_v2 = importlib.import_module("object_detection.model_lib_v2")

    seed_everything(int(seed), deterministic=True)
    model_lib_v2.train_loop(pipeline_config_path=pipeline, model_dir=model_dir,
                            train_steps=int(steps), checkpoint_every_n=10**9,
                            num_steps_per_iteration=1)
    print(json.dumps({"od_api": logged_losses(Path(model_dir)),
                      "ours": logged_losses(Path(ours))}))


if __name__ == "__main__":
    main()
