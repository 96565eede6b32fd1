"""The rendered pipeline.config differs from its zoo config only in the fields we control."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest
from google.protobuf.message import Message

from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError
from tfod_sweep.pipeline import build_pipeline, write_pipeline
from tfod_sweep.zoo import load_zoo_config, zoo_config_names

# SHA-256 of the official TF2 model-zoo configs (tensorflow/models,
# research/object_detection/configs/tf2), taken from the unchanged upstream files.
OFFICIAL_ZOO_SHA256 = {
    "centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.config":
        "ef077d5cbf0f8ba5228a952d42c78de633bfc935d59318b79bff150a0a22aa3e",
    "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config":
        "ceacd115d556cb7efaa23df8722fe50c31e8ba6795743a2ac7b188df0ca442eb",
    "ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8.config":
        "8b4bba3490fd8c0898fb800657d197ad825759459fd091ec3ec7bd66d98bb424",
}

SSD_FIELDS = {
    "model.ssd.num_classes",
    "model.ssd.image_resizer.fixed_shape_resizer.height",
    "model.ssd.image_resizer.fixed_shape_resizer.width",
    "model.ssd.feature_extractor.min_depth",
    "model.ssd.feature_extractor.depth_multiplier",
    "model.ssd.feature_extractor.fpn.additional_layer_depth",
    "model.ssd.feature_extractor.conv_hyperparams.batch_norm.decay",
    "model.ssd.box_predictor.weight_shared_convolutional_box_predictor.conv_hyperparams"
    ".batch_norm.decay",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.gamma",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.alpha",
    "model.ssd.post_processing.batch_non_max_suppression.use_combined_nms",
    "model.ssd.post_processing.batch_non_max_suppression.change_coordinate_frame",
}
CENTERNET_FIELDS = {
    "model.center_net.num_classes",
    "model.center_net.image_resizer.keep_aspect_ratio_resizer.min_dimension",
    "model.center_net.image_resizer.keep_aspect_ratio_resizer.max_dimension",
    "model.center_net.object_center_params.classification_loss"
    ".penalty_reduced_logistic_focal_loss.alpha",
    "model.center_net.object_center_params.classification_loss"
    ".penalty_reduced_logistic_focal_loss.beta",
}
TRAIN_FIELDS = {
    "train_config.batch_size",
    "train_config.num_steps",
    "train_config.fine_tune_checkpoint",
    "train_config.fine_tune_checkpoint_type",
    "train_config.optimizer.momentum_optimizer.learning_rate.cosine_decay_learning_rate"
    ".learning_rate_base",
    "train_config.optimizer.momentum_optimizer.learning_rate.cosine_decay_learning_rate"
    ".total_steps",
    "train_config.optimizer.momentum_optimizer.learning_rate.cosine_decay_learning_rate"
    ".warmup_learning_rate",
    "train_config.optimizer.momentum_optimizer.learning_rate.cosine_decay_learning_rate"
    ".warmup_steps",
    "train_input_reader.label_map_path",
    "train_input_reader.tf_record_input_reader.input_path",
    "eval_input_reader[0].label_map_path",
    "eval_input_reader[0].tf_record_input_reader.input_path",
}
ADAM_SCHEDULE = "train_config.optimizer.adam_optimizer.learning_rate."
PRESETS = {
    "ssd320": ("ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config", SSD_FIELDS),
    "ssd640": ("ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8.config", SSD_FIELDS),
    "centernet512": ("centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.config", CENTERNET_FIELDS),
}


def flatten(message: Message, prefix: str = "") -> dict[str, object]:
    """Every set leaf field as dotted path -> value (repeated scalars as tuples)."""
    leaves: dict[str, object] = {}
    for descriptor, value in message.ListFields():
        path = f"{prefix}{descriptor.name}"
        if descriptor.message_type is None:
            leaves[path] = tuple(value) if descriptor.label == descriptor.LABEL_REPEATED else value
        elif descriptor.label == descriptor.LABEL_REPEATED:
            for index, item in enumerate(value):  # e.g. data_augmentation_options
                leaves.update(flatten(item, f"{path}[{index}]."))
        else:
            leaves.update(flatten(value, f"{path}."))
    return leaves


def changed_fields(before: Message, after: Message) -> set[str]:
    a, b = flatten(before), flatten(after)
    return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}


def _render(compose_cfg, *overrides: str):
    cfg = compose_cfg(*overrides)
    validate_config(cfg)
    return cfg, build_pipeline(cfg, "/data/train-*.tfrecord", "/data/val-*.tfrecord",
                               "/data/label_map.pbtxt")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_only_experiment_fields_differ_from_zoo(compose_cfg, preset):
    zoo_name, model_fields = PRESETS[preset]
    cfg, rendered = _render(compose_cfg, f"model={preset}", "loss.alpha=0.5"
                            if preset != "centernet512" else "loss.beta=3.0")
    allowed = model_fields | TRAIN_FIELDS
    changed = changed_fields(load_zoo_config(zoo_name), rendered)
    if preset == "centernet512":  # the manual-step schedule becomes warm-up + cosine
        changed = {f for f in changed if not f.startswith(ADAM_SCHEDULE)}
    assert changed <= allowed, sorted(changed - allowed)
    # ... and the fields we claim to set really are set to the experiment's values.
    leaves = flatten(rendered)
    arch = cfg.model.arch
    assert leaves[f"model.{arch}.num_classes"] == 21
    assert leaves["train_config.batch_size"] == cfg.train.batch_size
    assert leaves["train_config.num_steps"] == cfg.train.num_steps
    assert leaves["train_input_reader.tf_record_input_reader.input_path"] == (
        "/data/train-*.tfrecord",)
    assert "train_config.fine_tune_checkpoint" not in leaves


def test_shipped_zoo_configs_are_the_official_ones():
    assert set(zoo_config_names()) == set(OFFICIAL_ZOO_SHA256)
    assert {name for name, _ in PRESETS.values()} <= set(OFFICIAL_ZOO_SHA256)
    zoo = resources.files("tfod_sweep.zoo")
    for name, digest in OFFICIAL_ZOO_SHA256.items():
        assert hashlib.sha256(zoo.joinpath(name).read_bytes()).hexdigest() == digest, name


def test_logbook_run_3_sets_its_values(compose_cfg):
    _, rendered = _render(compose_cfg, "experiment=logbook/run_3")
    ssd = rendered.model.ssd
    focal = ssd.loss.classification_loss.weighted_sigmoid_focal
    assert (ssd.num_classes, rendered.train_config.batch_size) == (42, 12)
    assert (focal.gamma, focal.alpha) == pytest.approx((2.25, 0.5))
    assert rendered.train_config.num_steps == 15000
    assert ssd.image_resizer.fixed_shape_resizer.height == 320


def test_depth_and_levels_reach_extractor_and_anchors(compose_cfg):
    _, rendered = _render(compose_cfg, "backbone.min_depth=8", "backbone.fpn_max_level=6",
                          "backbone.additional_layer_depth=64", "backbone.depth_multiplier=0.5")
    extractor = rendered.model.ssd.feature_extractor
    anchors = rendered.model.ssd.anchor_generator.multiscale_anchor_generator
    assert (extractor.min_depth, extractor.depth_multiplier) == (8, 0.5)
    assert (extractor.fpn.max_level, anchors.max_level) == (6, 6)
    assert extractor.fpn.additional_layer_depth == 64


def test_fine_tune_checkpoint_is_written_when_given(compose_cfg):
    _, rendered = _render(compose_cfg, "train.fine_tune_checkpoint=/zoo/ckpt-0",
                          "train.fine_tune_checkpoint_type=classification")
    assert rendered.train_config.fine_tune_checkpoint == "/zoo/ckpt-0"
    assert rendered.train_config.fine_tune_checkpoint_type == "classification"


def test_written_config_round_trips_through_config_util(compose_cfg, tmp_path):
    from object_detection.utils import config_util

    _, rendered = _render(compose_cfg, "model=ssd320")
    path = write_pipeline(rendered, tmp_path / "pipeline.config")
    configs = config_util.get_configs_from_pipeline_file(str(path))
    assert config_util.create_pipeline_proto_from_configs(configs) == rendered


def test_flatten_sees_reordered_repeated_fields(compose_cfg):
    _, rendered = _render(compose_cfg)
    before = rendered.__deepcopy__()
    options = rendered.train_config.data_augmentation_options
    first, second = options[0].__deepcopy__(), options[1].__deepcopy__()
    options[0].CopyFrom(second)
    options[1].CopyFrom(first)
    assert changed_fields(before, rendered)


def test_augmentations_replace_the_zoo_list(compose_cfg):
    _, rendered = _render(compose_cfg, "train.augmentations=[random_horizontal_flip]")
    steps = [s.WhichOneof("preprocessing_step")
             for s in rendered.train_config.data_augmentation_options]
    assert steps == ["random_horizontal_flip"]




def test_momentum_on_a_zoo_config_without_momentum_is_one_line(compose_cfg):
    """The pipeline owns this check: only it knows which optimizer the zoo config uses."""
    with pytest.raises(ConfigError) as error:
        _render(compose_cfg, "model=centernet512", "train.momentum=0.9")
    assert "train.momentum=0.9 does not apply to adam_optimizer" in str(error.value)


def test_adam_replaces_the_zoo_optimizer_and_keeps_the_schedule(compose_cfg):
    _, pipeline = _render(compose_cfg, "train.optimizer=adam", "train.learning_rate=0.002",
                          "train.warmup_learning_rate=0.0005")
    optimizer = pipeline.train_config.optimizer
    assert optimizer.WhichOneof("optimizer") == "adam_optimizer"
    cosine = optimizer.adam_optimizer.learning_rate.cosine_decay_learning_rate
    assert cosine.learning_rate_base == pytest.approx(0.002)
    assert cosine.warmup_learning_rate == pytest.approx(0.0005)


def test_momentum_with_adam_is_one_line(compose_cfg):
    with pytest.raises(ConfigError) as error:
        _render(compose_cfg, "train.optimizer=adam", "train.momentum=0.9")
    assert "does not apply to adam_optimizer" in str(error.value)
