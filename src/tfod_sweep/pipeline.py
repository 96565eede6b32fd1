"""Translate a composed experiment into the OD API's TrainEvalPipelineConfig.

Starts from the matching zoo config and sets exactly the fields the experiment
controls, each one explicitly (unlike `config_util.merge_external_params_with_configs`,
which ignores keys it does not know). The architecture's own fields are mapped by
`tfod_sweep.registry`, the training and input fields here. Everything else stays as the
zoo wrote it.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from object_detection.protos import pipeline_pb2
from omegaconf import DictConfig

from tfod_sweep.errors import ConfigError
from tfod_sweep.registry.keys import apply_experiment
from tfod_sweep.zoo import load_zoo_config

Pipeline = pipeline_pb2.TrainEvalPipelineConfig


#: `train.optimizer` choices -> the OD API's Optimizer oneof member.
OPTIMIZERS = {"momentum": "momentum_optimizer", "adam": "adam_optimizer"}


def _set_train(train_config, train: DictConfig) -> None:  # noqa: ANN001
    train_config.batch_size = train.batch_size
    train_config.num_steps = train.num_steps
    if train.optimizer is not None:  # validate.py has checked the name
        # Setting a oneof member clears the zoo's; its schedule is set below.
        getattr(train_config.optimizer, OPTIMIZERS[train.optimizer]).SetInParent()
    optimizer_kind = train_config.optimizer.WhichOneof("optimizer")
    optimizer = getattr(train_config.optimizer, optimizer_kind)
    cosine = optimizer.learning_rate.cosine_decay_learning_rate  # replaces any other schedule
    cosine.learning_rate_base = train.learning_rate
    cosine.total_steps = train.num_steps
    cosine.warmup_learning_rate = train.warmup_learning_rate
    cosine.warmup_steps = int(round(train.warmup_fraction * train.num_steps))
    if train.momentum is not None:
        if optimizer_kind != "momentum_optimizer":
            raise ConfigError(
                f"train.momentum={train.momentum} does not apply to {optimizer_kind}: "
                "allowed null"
            )
        optimizer.momentum_optimizer_value = train.momentum
    if train.augmentations is not None:
        _set_augmentations(train_config, list(train.augmentations))
    if train.fine_tune_checkpoint:
        train_config.fine_tune_checkpoint = str(train.fine_tune_checkpoint)
        train_config.fine_tune_checkpoint_type = train.fine_tune_checkpoint_type
    else:
        # The zoo's placeholder path would make the OD API try to restore it.
        train_config.ClearField("fine_tune_checkpoint")
        train_config.ClearField("fine_tune_checkpoint_type")


def _set_augmentations(train_config, names: list[str]) -> None:  # noqa: ANN001
    """Replace the zoo's augmentation list with OD API preprocessing steps at their defaults."""
    del train_config.data_augmentation_options[:]
    for name in names:  # validate.py has checked the names
        getattr(train_config.data_augmentation_options.add(), name).SetInParent()


def _set_inputs(pipeline: Pipeline, train_input: str, val_input: str, label_map: str) -> None:
    readers = ((pipeline.train_input_reader, train_input),
               (pipeline.eval_input_reader[0], val_input))
    for reader, pattern in readers:
        reader.label_map_path = label_map
        paths = reader.tf_record_input_reader.input_path
        del paths[:]
        paths.append(pattern)


def build_pipeline(cfg: DictConfig, train_input: str, val_input: str, label_map: str) -> Pipeline:
    """Return the zoo config of `cfg.model` with the experiment's fields set.

    Args:
        cfg: a composed and validated experiment.
        train_input, val_input: TFRecord files or glob patterns.
        label_map: path of the label_map.pbtxt the readers use.
    """
    pipeline = load_zoo_config(cfg.model.zoo_config)
    apply_experiment(pipeline, cfg)  # the architecture's own fields (tfod_sweep.registry)
    _set_train(pipeline.train_config, cfg.train)
    _set_inputs(pipeline, train_input, val_input, label_map)
    return pipeline


def write_pipeline(pipeline: Pipeline, path: Path) -> Path:
    """Write protobuf text that `model_main_tf2.py --pipeline_config_path` reads as is."""
    path.write_text(text_format.MessageToString(pipeline))
    return path
