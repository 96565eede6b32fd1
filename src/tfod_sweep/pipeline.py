"""Translate a composed experiment into the OD API's TrainEvalPipelineConfig.

Starts from the matching zoo config and sets exactly the fields the experiment
controls, each one explicitly (unlike `config_util.merge_external_params_with_configs`,
which ignores keys it does not know). Everything else stays as the zoo wrote it.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from object_detection.protos import pipeline_pb2
from omegaconf import DictConfig

from tfod_sweep.errors import ConfigError
from tfod_sweep.zoo import load_zoo_config

Pipeline = pipeline_pb2.TrainEvalPipelineConfig


def _oneof(message, group: str, expected: str, key: str):  # noqa: ANN001, ANN202 (protobuf)
    """Return the set member of a oneof, insisting it is the one we know how to edit."""
    found = message.WhichOneof(group)
    if found != expected:
        raise ConfigError(f"{key}: the zoo config uses {found!r} where {expected!r} was expected")
    return getattr(message, expected)


def _set_ssd(ssd, cfg: DictConfig) -> None:  # noqa: ANN001
    backbone, loss = cfg.backbone, cfg.loss
    ssd.num_classes = cfg.dataset.num_classes
    resizer = _oneof(ssd.image_resizer, "image_resizer_oneof", "fixed_shape_resizer", "resolution")
    resizer.height = cfg.resolution.height
    resizer.width = cfg.resolution.width

    extractor = ssd.feature_extractor
    extractor.type = backbone.feature_extractor
    extractor.depth_multiplier = backbone.depth_multiplier
    extractor.min_depth = backbone.min_depth
    extractor.use_depthwise = backbone.use_depthwise
    extractor.fpn.min_level = backbone.fpn_min_level
    extractor.fpn.max_level = backbone.fpn_max_level
    extractor.fpn.additional_layer_depth = backbone.additional_layer_depth
    # Anchors must sit on exactly the feature levels the FPN produces.
    anchors = _oneof(ssd.anchor_generator, "anchor_generator_oneof",
                     "multiscale_anchor_generator", "backbone.fpn_*_level")
    anchors.min_level = backbone.fpn_min_level
    anchors.max_level = backbone.fpn_max_level
    predictor = _oneof(ssd.box_predictor, "box_predictor_oneof",
                       "weight_shared_convolutional_box_predictor", "backbone.batch_norm_decay")
    extractor.conv_hyperparams.batch_norm.decay = backbone.batch_norm_decay
    predictor.conv_hyperparams.batch_norm.decay = backbone.batch_norm_decay

    focal = _oneof(ssd.loss.classification_loss, "classification_loss",
                   "weighted_sigmoid_focal", "loss")
    focal.gamma = loss.gamma
    focal.alpha = loss.alpha

    nms = ssd.post_processing.batch_non_max_suppression
    if cfg.eval.nms == "combined":
        # One class-aware NMS op instead of a loop over classes: ~20x faster on CPU.
        nms.use_combined_nms = True
        nms.change_coordinate_frame = False


def _set_center_net(center_net, cfg: DictConfig) -> None:  # noqa: ANN001
    center_net.num_classes = cfg.dataset.num_classes
    center_net.feature_extractor.type = cfg.backbone.feature_extractor
    resizer = _oneof(center_net.image_resizer, "image_resizer_oneof",
                     "keep_aspect_ratio_resizer", "resolution")
    resizer.min_dimension = cfg.resolution.height
    resizer.max_dimension = cfg.resolution.width
    focal = _oneof(center_net.object_center_params.classification_loss, "classification_loss",
                   "penalty_reduced_logistic_focal_loss", "loss")
    focal.alpha = cfg.loss.alpha
    focal.beta = cfg.loss.beta


_MODEL_SETTERS = {"ssd": _set_ssd, "center_net": _set_center_net}


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
    arch = pipeline.model.WhichOneof("model")
    if arch != cfg.model.arch:
        raise ConfigError(
            f"model.arch={cfg.model.arch!r} disagrees with {cfg.model.zoo_config} ({arch!r})"
        )
    _MODEL_SETTERS[arch](getattr(pipeline.model, arch), cfg)
    _set_train(pipeline.train_config, cfg.train)
    _set_inputs(pipeline, train_input, val_input, label_map)
    return pipeline


def write_pipeline(pipeline: Pipeline, path: Path) -> Path:
    """Write protobuf text that `model_main_tf2.py --pipeline_config_path` reads as is."""
    path.write_text(text_format.MessageToString(pipeline))
    return path
