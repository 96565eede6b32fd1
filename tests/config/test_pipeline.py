"""The rendered pipeline.config differs from its zoo config only in the fields we control."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError
from tfod_sweep.pipeline import build_pipeline, write_pipeline
from tfod_sweep.registry import of_pipeline
from tfod_sweep.zoo import load_zoo_config, zoo_config_names

# SHA-256 of the official TF2 model-zoo configs (tensorflow/models,
# research/object_detection/configs/tf2), taken from the unchanged upstream files.
OFFICIAL_ZOO_SHA256 = {
    "centernet_hourglass104_1024x1024_coco17_tpu-32.config":
        "1d44ed97f96fd97ae85e50aacca05d551c43c1d390c30488199817412f54e20f",
    "centernet_hourglass104_512x512_coco17_tpu-8.config":
        "3d59cbd7f72bc215693b23e6a3506ed8cd0696d5a9d348e503900a64bda084fe",
    "centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.config":
        "ef077d5cbf0f8ba5228a952d42c78de633bfc935d59318b79bff150a0a22aa3e",
    "faster_rcnn_resnet101_v1_1024x1024_coco17_tpu-8.config":
        "e49f4f4411dbf17e18ad619544e7b40b0fa4d33bbefd21f9c289e12990f566cb",
    "faster_rcnn_resnet101_v1_640x640_coco17_tpu-8.config":
        "43ca4d2b35a1b425acbdcdeb492f299b469ff0300807a2ac4b6524b90fddf6f9",
    "faster_rcnn_resnet101_v1_800x1333_coco17_gpu-8.config":
        "f0530acff8edf11b93971e21375e70ecfd64dbcc374c0f5d8fd6e555b1884f55",
    "faster_rcnn_resnet152_v1_1024x1024_coco17_tpu-8.config":
        "6d1af9ee7716f77346579278eebb59e35572ffa7c63e73dbb6ceb125cb1489f3",
    "faster_rcnn_resnet152_v1_640x640_coco17_tpu-8.config":
        "1fce8e0031734ec8153c567347027a28d5ee70e0f1d03d5c60954b8c85742feb",
    "faster_rcnn_resnet152_v1_800x1333_coco17_gpu-8.config":
        "fe0a32d82546859c3a0f69a814509cfeef47dd6f5af5ef6e4e3e039bfdc1b0a0",
    "faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8.config":
        "1fa77355755aa2ede33c61e81b98b27e30aa990751acb36b86ef7d6d86d168f2",
    "faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.config":
        "627aeb88c9887d53ce80587fb712dc970503f3263540c7751b34198616e1da20",
    "faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8.config":
        "7ac09fbca0b98a2655fa0746fab622a7808da0d002d1886fe873c7472017393f",
    "faster_rcnn_resnet50_v1_fpn_640x640_coco17_tpu-8.config":
        "4f8403c9e950713f06a4d4d0e2feaa30f73c28d6bed905bac2100474430572b1",
    "ssd_efficientdet_d0_512x512_coco17_tpu-8.config":
        "bde1c2cf7c4d2292bd632c5e3a7ae1f8c3b8b8b1ea0bc1eff7259d742ed7ec69",
    "ssd_efficientdet_d1_640x640_coco17_tpu-8.config":
        "a013779c83b4fbe5bdca2a0bebeecf7f2cce7297a4aecd184ac3dd6b152c92c4",
    "ssd_efficientdet_d2_768x768_coco17_tpu-8.config":
        "281b3ea77a828b94777751f8ce182e7b0af998b9db136a9d17be741d8ad3e2ce",
    "ssd_efficientdet_d3_896x896_coco17_tpu-32.config":
        "6928d3ae73d22025c7651539ba57a30bf782c296352b2b3f85fd772b4e48a750",
    "ssd_efficientdet_d4_1024x1024_coco17_tpu-32.config":
        "c19f4cea67fb424d9aee2b21ce4f9f05c514493ed62f8b6136343977b28b7801",
    "ssd_efficientdet_d5_1280x1280_coco17_tpu-32.config":
        "08d2263d3cda440df735bb9e7b3caf256d651946259042136108c8f42c219f4c",
    "ssd_efficientdet_d6_1408x1408_coco17_tpu-32.config":
        "cd66c689832a77b4020f006cbe94a443bee53bb207c672b49ca830ce084a5c75",
    "ssd_efficientdet_d7_1536x1536_coco17_tpu-32.config":
        "178f08a724700e8afb273ea32581afe7e4d87481c604adf3f626913cbecde5fe",
    "ssd_mobilenet_v1_fpn_640x640_coco17_tpu-8.config":
        "4eda3855e11f9ab3784e1c9e7d64acad42c9a9fc306d956298d21fafec390239",
    "ssd_mobilenet_v2_320x320_coco17_tpu-8.config":
        "0245b7c7fb9aad42a1ea5a6ad54440310327dafdeff0651329e0ef15c66bc50e",
    "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config":
        "ceacd115d556cb7efaa23df8722fe50c31e8ba6795743a2ac7b188df0ca442eb",
    "ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8.config":
        "8b4bba3490fd8c0898fb800657d197ad825759459fd091ec3ec7bd66d98bb424",
    "ssd_resnet101_v1_fpn_1024x1024_coco17_tpu-8.config":
        "2d7ce1f326f55bd5667cfb4fd930feaae21cdc744ece64b5c9af4b71cef8504c",
    "ssd_resnet101_v1_fpn_640x640_coco17_tpu-8.config":
        "7a8dbf22167c78dc41873940d544383cf1a7084ef9cc09808c0f0befbc2a307c",
    "ssd_resnet152_v1_fpn_1024x1024_coco17_tpu-8.config":
        "8f1e4fd61773920bd361a8900f131d1ebefd90db1ea8d07ee8bc8be61f97c36a",
    "ssd_resnet152_v1_fpn_640x640_coco17_tpu-8.config":
        "720da3a506a04a4cd37b6f3790977bf0effa85ed981d92edfd55cc6c472a5b5c",
    "ssd_resnet50_v1_fpn_1024x1024_coco17_tpu-8.config":
        "df58b688c7e14002a9a8cb1c4a59dbb25f4e17ca3e12d803be7e8956fff2757c",
    "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config":
        "d9c8246c5f21410bad249e9487f87f638fc0bde0340ee7418b12a9616607268a",
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
EFFICIENTDET_FIELDS = {
    "model.ssd.num_classes",
    "model.ssd.image_resizer.keep_aspect_ratio_resizer.min_dimension",
    "model.ssd.image_resizer.keep_aspect_ratio_resizer.max_dimension",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.gamma",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.alpha",
    "model.ssd.post_processing.batch_non_max_suppression.use_combined_nms",
    "model.ssd.post_processing.batch_non_max_suppression.change_coordinate_frame",
}
FASTER_RCNN_FIELDS = {
    "model.faster_rcnn.num_classes",
    "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.min_dimension",
    "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.max_dimension",
    "model.faster_rcnn.image_resizer.fixed_shape_resizer.height",
    "model.faster_rcnn.image_resizer.fixed_shape_resizer.width",
    "model.faster_rcnn.first_stage_localization_loss_weight",
    "model.faster_rcnn.first_stage_objectness_loss_weight",
    "model.faster_rcnn.second_stage_localization_loss_weight",
    "model.faster_rcnn.second_stage_classification_loss_weight",
}
PRESETS = {  # model: (zoo config, fields it may change, an architecture key to set)
    "ssd320": ("ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config", SSD_FIELDS,
               "loss.alpha=0.5"),
    "ssd640": ("ssd_mobilenet_v2_fpnlite_640x640_coco17_tpu-8.config", SSD_FIELDS,
               "loss.alpha=0.5"),
    "centernet512": ("centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.config",
                     CENTERNET_FIELDS, "loss.beta=3.0"),
    "efficientdet_d0": ("ssd_efficientdet_d0_512x512_coco17_tpu-8.config",
                        EFFICIENTDET_FIELDS, "loss.gamma=2.0"),
    "faster_rcnn50_640": ("faster_rcnn_resnet50_v1_640x640_coco17_tpu-8.config",
                          FASTER_RCNN_FIELDS, "loss.second_stage_classification_weight=2.0"),
    "faster_rcnn50_1024": ("faster_rcnn_resnet50_v1_1024x1024_coco17_tpu-8.config",
                           FASTER_RCNN_FIELDS, "loss.first_stage_objectness_weight=0.5"),
}


def is_repeated(descriptor: FieldDescriptor) -> bool:
    """protobuf 7 removed `label` for `is_repeated`, which 4.25 (TF 2.15's) does not have."""
    repeated = getattr(descriptor, "is_repeated", None)
    if repeated is None:
        return descriptor.label == descriptor.LABEL_REPEATED
    return bool(repeated)


def flatten(message: Message, prefix: str = "") -> dict[str, object]:
    """Every set leaf field as dotted path -> value (repeated scalars as tuples)."""
    leaves: dict[str, object] = {}
    for descriptor, value in message.ListFields():
        path = f"{prefix}{descriptor.name}"
        if descriptor.message_type is None:
            leaves[path] = tuple(value) if is_repeated(descriptor) else value
        elif is_repeated(descriptor):
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
    zoo_name, model_fields, key = PRESETS[preset]
    cfg, rendered = _render(compose_cfg, f"model={preset}", key)
    allowed = model_fields | TRAIN_FIELDS
    changed = changed_fields(load_zoo_config(zoo_name), rendered)
    # A manual-step schedule (CenterNet's Adam) becomes warm-up + cosine.
    changed = {f for f in changed if not f.startswith(ADAM_SCHEDULE)}
    assert changed <= allowed, sorted(changed - allowed)
    # The key reached its field (the value of `key` converted, e.g. 2.0 or 0.5).
    assert any(leaves_value == float(key.split("=")[1]) for leaves_value in
               (flatten(rendered)[f] for f in changed & model_fields))
    # ... and the fields we claim to set really are set to the experiment's values.
    leaves = flatten(rendered)
    arch = of_pipeline(rendered).name
    assert leaves[f"model.{arch}.num_classes"] == 21
    assert leaves["train_config.batch_size"] == cfg.train.batch_size
    assert leaves["train_config.num_steps"] == cfg.train.num_steps
    assert leaves["train_input_reader.tf_record_input_reader.input_path"] == (
        "/data/train-*.tfrecord",)
    assert "train_config.fine_tune_checkpoint" not in leaves


def test_shipped_zoo_configs_are_the_official_ones():
    assert set(zoo_config_names()) == set(OFFICIAL_ZOO_SHA256)
    assert {name for name, _, _ in PRESETS.values()} <= set(OFFICIAL_ZOO_SHA256)
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
