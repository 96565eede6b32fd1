"""train.input_autotune turns tf.data autotuning on or off in both input pipelines.

Deleting an autotuned iterator waits for tf.data's tuning thread to wake (up to a minute
on TF 2.15), which stalls some runs after their last evaluation; turning it off costs
training speed instead (benchmarks/README.md, "The stall after the last evaluation").
Here: the switch reaches both datasets the trainer iterates, and both still yield batches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("override, expected", [([], True),
                                                (["train.input_autotune=false"], False)])
def test_train_and_eval_datasets_follow_train_input_autotune(
    override: list[str], expected: bool, compose_cfg, tmp_path: Path
) -> None:
    import tensorflow as tf

    from tfod_sweep.runner import render_run_files
    from tfod_sweep.training.model_setup import build_setup

    cfg = compose_cfg("experiment=demo", "train.batch_size=2", *override,
                      "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=2")
    pipeline, _ = render_run_files(cfg, tmp_path / "run")
    tf.keras.backend.clear_session()
    setup = build_setup(pipeline, tmp_path / "run", input_autotune=cfg.train.input_autotune)
    assert setup.train_dataset.options().autotune.enabled is expected
    assert setup.eval_dataset.options().autotune.enabled is expected
    features, _ = next(iter(setup.train_dataset))  # still yields batches either way
    assert features["image"].shape[0] == 2
