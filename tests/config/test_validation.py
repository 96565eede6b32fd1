"""Bad values fail at composition with one line naming the key, the value and the range."""

from __future__ import annotations

import re

import pytest

from sweep.__main__ import unknown_key_message
from tests.conftest import REPO, run_sweep
from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError

BAD_INPUTS = [
    (["loss.gamma=-0.5"], "loss.gamma=-0.5 is out of range: allowed >= 0"),
    (["loss.alpha=1.0"], "loss.alpha=1.0 is out of range: allowed in (0, 1)"),
    (["loss.alpha=0"], "loss.alpha=0.0 is out of range: allowed in (0, 1)"),
    (["backbone.min_depth=0"], "backbone.min_depth=0 is out of range: allowed >= 1"),
    (["backbone.depth_multiplier=0"], "backbone.depth_multiplier=0.0 is out of range: allowed > 0"),
    (["train.batch_size=0"], "train.batch_size=0 is out of range: allowed >= 1"),
    (["train.num_steps=0"], "train.num_steps=0 is out of range: allowed >= 1"),
    (["train.steps_per_call=0"], "train.steps_per_call=0 is out of range: allowed >= 1"),
    (["resolution.height=200"],
     "resolution.height=200 is out of range: allowed a multiple of 32 >= 64 (the FPN merges "
     "feature levels up to stride 32)"),
    (["model=efficientdet_d0", "resolution='192'"],
     "resolution.width=192 is out of range: allowed a multiple of 128 >= 256 (the BiFPN merges "
     "feature levels up to stride 128)"),
    (["model=retinanet50_640", "resolution='128'"],
     "resolution.height=128 is out of range: allowed a multiple of 32 >= 160"),
    (["model=centernet_hg104_512", "resolution='192'"],
     "resolution.width=192 is out of range: allowed a multiple of 128 >= 128"),
    (["resolution.width=16"], "resolution.width=16 is out of range: allowed a multiple of 32"),
    (["model=centernet512", "loss.gamma=2.25"],
     "loss.gamma=2.25 does not apply to model=centernet512 (CenterNet, resnet_v1_101_fpn; its "
     "loss keys: alpha, beta)"),
    (["model=centernet512", "backbone.min_depth=8"],
     "backbone.min_depth=8 does not apply to model=centernet512 (CenterNet, resnet_v1_101_fpn; "
     "it has no backbone.* keys)"),
    (["model=centernet512", "resolution.width=256"],
     "resolution=512x256 is out of range: this model keeps the aspect ratio"),
    (["model=centernet512", "resolution.width=528"],
     "resolution.width=528 is out of range: allowed a multiple of 32 >= 64"),
    (["model=efficientdet_d0", "backbone.depth_multiplier=0.5"],
     "backbone.depth_multiplier=0.5 does not apply to model=efficientdet_d0 (SSD, "
     "ssd_efficientnet-b0_bifpn_keras; its backbone keys: batch_norm_decay)"),
    (["model=faster_rcnn50_640", "loss.alpha=0.5"],
     "loss.alpha=0.5 does not apply to model=faster_rcnn50_640 (Faster R-CNN, "
     "faster_rcnn_resnet50_keras; its loss keys: first_stage_localization_weight, "),
    (["model=faster_rcnn50_640", "loss.first_stage_objectness_weight=-1"],
     "loss.first_stage_objectness_weight=-1.0 is out of range: allowed >= 0"),
    (["model=retinanet50_640", "backbone.use_depthwise=true"],
     "backbone.use_depthwise=True does not apply to model=retinanet50_640"),
    (["model=ssd_mobilenet_v2_300", "backbone.fpn_max_level=6"],
     "backbone.fpn_max_level=6 does not apply to model=ssd_mobilenet_v2_300"),
    (["loss.beta=4"], "loss.beta=4.0 does not apply to model=ssd320"),
    (["anchors.scale=0"], "anchors.scale=0.0 is out of range: allowed > 0"),
    (["anchors.scales_per_octave=0"],
     "anchors.scales_per_octave=0 is out of range: allowed an integer in [1, 8]"),
    (["model=centernet512", "anchors.scale=3"],
     "anchors.scale=3.0 does not apply to model=centernet512 (CenterNet, resnet_v1_101_fpn; "
     "it has no anchors.* keys)"),
    (["model=ssd_mobilenet_v2_300", "anchors.scale=3"],
     "anchors.scale=3.0 does not apply to model=ssd_mobilenet_v2_300"),
    (["backbone.fpn_min_level=5", "backbone.fpn_max_level=4"],
     "backbone.fpn_min_level=5 is out of range: allowed <= backbone.fpn_max_level=4"),
    (["dataset.num_classes=42"],
     "dataset.num_classes=42 disagrees with dataset.synthetic.num_classes=21"),
    (["dataset.synthetic.num_classes=30", "dataset.num_classes=30"],
     "dataset.synthetic.num_classes=30 is out of range: allowed one of 7, 14, 21"),
    (["dataset.synthetic.image_size=64"],
     "dataset.synthetic.image_size=64 is out of range: allowed in [128, 1024]"),
    (["train.warmup_learning_rate=1.0"],
     "train.warmup_learning_rate=1.0 is out of range: allowed <= train.learning_rate=0.04"),
    (["train.learning_rate=-1"], "train.learning_rate=-1.0 is out of range: allowed > 0"),
    (["eval.nms=fast"], "eval.nms='fast' is out of range: allowed one of combined, per_class"),
    (["optimized_metric=accuracy"], "optimized_metric='accuracy' is unknown: allowed one of"),
    (["optimized_metric=[DetectionBoxes_Precision/mAP,Latency/mean_ms]"],
     "optimized_metric='Latency/mean_ms' is unknown: allowed one of"),
    (["optimized_metric=[Latency/median_ms,Latency/median_ms]"],
     "optimized_metric=['Latency/median_ms', 'Latency/median_ms'] lists a metric twice"),
    (["optimized_metric=[]"], "optimized_metric=[] is out of range: allowed a metric name or"),
    (["optimized_metric=[DetectionBoxes_Precision/mAP,Latency/p90_ms]", "eval.latency_images=0"],
     "optimized_metric 'Latency/p90_ms' needs the latency measurement: allowed "
     "eval.latency_images >= 1 (0 turns it off)"),
    (["eval.latency_images=-1"], "eval.latency_images=-1 is out of range: allowed >= 0"),
    (["backbone.fpn_min_level=6", "backbone.fpn_max_level=5"],
     "backbone.fpn_min_level=6 is out of range: allowed an integer in [3, 5]"),
    (["train.augmentations=[random_flop]"],
     "train.augmentations: 'random_flop' is unknown: allowed OD API preprocessing steps"),
    (["train.optimizer=sgd"],
     "train.optimizer='sgd' is out of range: allowed one of momentum, adam"),
    (["train.fine_tune_checkpoint_type=imagenet"],
     "train.fine_tune_checkpoint_type='imagenet' is out of range"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS)
def test_bad_value_names_key_value_and_range(compose_cfg, overrides, message):
    cfg = compose_cfg(*overrides)
    with pytest.raises(ConfigError) as error:
        validate_config(cfg)
    text = str(error.value)
    assert message in text
    assert "\n" not in text


def test_a_list_of_known_metrics_is_a_valid_multi_objective(compose_cfg):
    cfg = compose_cfg("optimized_metric=[DetectionBoxes_Precision/mAP@.50IOU,Latency/median_ms,"
                      "Model/parameters]")
    validate_config(cfg)
    assert list(cfg.optimized_metric) == [
        "DetectionBoxes_Precision/mAP@.50IOU", "Latency/median_ms", "Model/parameters"]


def test_cli_prints_one_line_and_exits_non_zero(tmp_path):
    result = run_sweep("loss.gamma=-1", f"paths.outputs={tmp_path}", "dry_run=true",
                       cwd=REPO, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: loss.gamma=-1.0 is out of range: allowed >= 0"]
    assert "Traceback" not in result.stdout + result.stderr


UNKNOWN_KEYS = [
    ("loss.gama=2.25", "error: loss.gama is not a config key: allowed keys of loss: name, "
     "gamma, alpha, beta, first_stage_localization_weight"),
    ("+train.bach_size=4", "error: train.bach_size is not a config key: allowed keys of train: "
     "batch_size, "),
    ("+nonsense_key=1", "error: nonsense_key is not a config key: allowed top-level keys: model, "),
    ("++dataset.synthetic.colour=1", "error: dataset.synthetic.colour is not a config key"),
]


@pytest.mark.parametrize(("override", "message"), UNKNOWN_KEYS)
def test_cli_unknown_key_is_one_line_before_anything_runs(tmp_path, override, message):
    result = run_sweep(override, "dry_run=true", f"paths.outputs={tmp_path}", cwd=REPO,
                       timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not list(tmp_path.rglob("pipeline.config"))


@pytest.mark.parametrize(("overrides", "message"), [
    (["+nonsense_key=1"], "nonsense_key is not a config key: allowed top-level keys: model, "),
    (["+train.bach_size=4"], "train.bach_size is not a config key: allowed keys of train: "),
    (["+loss.focal.gamma=2"], "loss.focal is not a config key: allowed keys of loss: name, "),
    (["+dataset.synthetic.colour=1"], "dataset.synthetic.colour is not a config key"),
])
def test_added_keys_outside_the_schema_are_rejected(compose_cfg, overrides, message):
    cfg = compose_cfg(*overrides)
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        validate_config(cfg)


@pytest.mark.parametrize("args", [
    ["--cfg", "job", "loss.gamma=2.5"], ["-cn", "config", "model=ssd640"],
    ["hydra.run.dir=out/x", "~loss.gamma", "+experiment=demo"], ["-m", "loss.gamma=1,2"],
    ["dataset.synthetic.train_images=8", "train.augmentations=[random_horizontal_flip]"],
])
def test_known_keys_and_flags_pass_the_early_check(args):
    assert unknown_key_message(args) is None


def test_basic_multirun_bad_value_is_one_line_too(tmp_path):
    result = run_sweep("-m", "loss.gamma=-1,2.0", "dry_run=true", f"paths.outputs={tmp_path}",
                       cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: loss.gamma=-1.0 is out of range: allowed >= 0")
    assert "Traceback" not in result.stderr
