"""Build the detection model, its inputs, optimizer and checkpoints from a pipeline.config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tensorflow as tf
from object_detection import inputs, model_lib_v2
from object_detection.builders import model_builder, optimizer_builder
from object_detection.utils import config_util

from tfod_sweep.compat import patch_od_api_inputs

patch_od_api_inputs()


@dataclass
class TrainingSetup:
    """Everything the train and eval loops share."""

    configs: dict[str, Any]
    model: Any
    train_dataset: tf.data.Dataset
    eval_dataset: tf.data.Dataset
    global_step: tf.Variable
    optimizer: Any
    learning_rate: Any
    checkpoint: tf.train.Checkpoint
    manager: tf.train.CheckpointManager


def restore_fine_tune_checkpoint(setup: TrainingSetup) -> None:
    """Restore a local zoo checkpoint the way model_lib_v2 does (detection/classification)."""
    train_config = setup.configs["train_config"]
    path = train_config.fine_tune_checkpoint
    config_util.update_fine_tune_checkpoint_type(train_config)
    model_lib_v2.load_fine_tune_checkpoint(
        setup.model, path, train_config.fine_tune_checkpoint_type,
        train_config.fine_tune_checkpoint_version,
        train_config.run_fine_tune_checkpoint_dummy_computation,
        setup.train_dataset, train_config.unpad_groundtruth_tensors,
    )


def _autotuned(dataset: tf.data.Dataset, enabled: bool) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuning on or off.

    Why a switch: off, no run stalls when TF 2.15 deletes an iterator and waits for the
    tuning thread (asleep for up to a minute); on, training reads its input faster.
    """
    options = tf.data.Options()
    options.autotune.enabled = enabled
    return dataset.with_options(options)


def build_setup(pipeline_path: Path, model_dir: Path, max_checkpoints: int = 3,
                input_autotune: bool = True) -> TrainingSetup:
    """Build model, datasets, optimizer and a checkpoint manager rooted at `model_dir`."""
    configs = config_util.get_configs_from_pipeline_file(str(pipeline_path))
    model_config, train_config = configs["model"], configs["train_config"]
    eval_input_config = configs["eval_input_configs"][0]
    # Our evaluation keys images by their source id, as COCO ground truth does.
    eval_input_config.include_source_id = True
    model = model_builder.build(model_config=model_config, is_training=True)
    # tf.data converts every map function with AutoGraph, which spent most of the build
    # transpiling the OD API's decode-and-augment function. Its control flow is on Python
    # values, but for one augmentation that compat.py converts on its own, so plain
    # tracing gives the same graph ~10x faster (benchmarks/README.md).
    train_input = tf.autograph.experimental.do_not_convert(inputs.train_input)
    eval_input = tf.autograph.experimental.do_not_convert(inputs.eval_input)
    train_dataset = _autotuned(train_input(
        train_config=train_config, train_input_config=configs["train_input_config"],
        model_config=model_config, model=model,
    ).repeat(), input_autotune)
    eval_dataset = _autotuned(eval_input(
        eval_config=configs["eval_config"], eval_input_config=eval_input_config,
        model_config=model_config, model=model,
    ), input_autotune)
    global_step = tf.Variable(0, trainable=False, dtype=tf.int64, name="global_step")
    optimizer, (learning_rate,) = optimizer_builder.build(
        train_config.optimizer, global_step=global_step)
    checkpoint = tf.train.Checkpoint(step=global_step, model=model, optimizer=optimizer)
    manager = tf.train.CheckpointManager(checkpoint, str(model_dir), max_to_keep=max_checkpoints)
    return TrainingSetup(configs, model, train_dataset, eval_dataset, global_step, optimizer,
                         learning_rate, checkpoint, manager)
