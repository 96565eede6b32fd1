"""The architecture registry: every zoo config is a model, keys map per architecture, and no
module outside the registry decides anything by an architecture's name (all TF-free)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONF_DIR, REPO
from tfod_sweep.config import validate_config
from tfod_sweep.pipeline import build_pipeline
from tfod_sweep.registry import (
    ARCHITECTURES,
    arch_from_losses,
    loss_components,
    of_pipeline,
    of_zoo_config,
    run_arch,
)
from tfod_sweep.registry.keys import tunable_keys
from tfod_sweep.zoo import load_zoo_config, zoo_config_names

SRC = REPO / "src"
MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
# The family each model name promises, checked against what its zoo config says.
FAMILY = {"ssd": "ssd", "retinanet": "ssd", "efficientdet": "ssd",
          "faster_rcnn": "faster_rcnn", "centernet": "center_net"}


def _render(cfg):
    return build_pipeline(cfg, "train.tfrecord", "val.tfrecord", "label_map.pbtxt")


def test_every_shipped_zoo_config_is_exactly_one_model(compose_cfg):
    configs = []
    for name in MODELS:
        cfg = compose_cfg(f"model={name}")
        assert cfg.model.name == name  # the name errors and metrics.json use
        configs.append(cfg.model.zoo_config)
    assert sorted(configs) == zoo_config_names()
    assert len(MODELS) == 31


@pytest.mark.parametrize("name", MODELS)
def test_architecture_is_read_from_the_zoo_config(compose_cfg, name):
    cfg = compose_cfg(f"model={name}")
    family = next(arch for prefix, arch in FAMILY.items() if name.startswith(prefix))
    assert of_zoo_config(cfg.model.zoo_config).name == family
    assert "arch" not in cfg.model  # never declared by hand


def test_every_model_validates_and_renders_without_tensorflow():
    probe = f"""
import sys
from hydra import compose, initialize_config_dir
from tfod_sweep.config import register_configs, validate_config
from tfod_sweep.pipeline import build_pipeline
register_configs()
with initialize_config_dir(config_dir={str(CONF_DIR)!r}, version_base="1.3"):
    for name in {MODELS!r}:
        cfg = compose("config", overrides=["model=" + name, "paths.outputs=unused"])
        validate_config(cfg)
        pipeline = build_pipeline(cfg, "t", "v", "l")
        assert pipeline.model.WhichOneof("model"), name
print("TF_IMPORTED=" + str("tensorflow" in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "TF_IMPORTED=False" in result.stdout


def _branches_on_arch_names(path: Path) -> list[str]:
    """Lines where a string equal to an architecture name, or `.ssd`-like attribute, occurs."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        value = node.value if isinstance(node, ast.Constant) else getattr(node, "attr", None)
        if isinstance(value, str) and value in ARCHITECTURES:
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {value}")
    return found


def test_only_the_registry_knows_architecture_names():
    registry = SRC / "tfod_sweep" / "registry"
    outside = [hit for path in sorted(SRC.rglob("*.py")) if registry not in path.parents
               for hit in _branches_on_arch_names(path)]
    assert outside == []
    # The scan does see names where they belong.
    assert any(_branches_on_arch_names(registry / f"{arch}.py") for arch in ARCHITECTURES)


@pytest.mark.parametrize(("model", "key", "path", "expected"), [
    ("efficientdet_d0", "loss.gamma=1.25",
     "ssd.loss.classification_loss.weighted_sigmoid_focal.gamma", 1.25),
    ("efficientdet_d0", "backbone.batch_norm_decay=0.9",
     "ssd.box_predictor.weight_shared_convolutional_box_predictor.conv_hyperparams.batch_norm"
     ".decay", 0.9),
    ("retinanet50_640", "backbone.fpn_max_level=6",
     "ssd.anchor_generator.multiscale_anchor_generator.max_level", 6),
    ("ssd320", "anchors.scale=3",
     "ssd.anchor_generator.multiscale_anchor_generator.anchor_scale", 3.0),
    ("efficientdet_d0", "anchors.scales_per_octave=2",
     "ssd.anchor_generator.multiscale_anchor_generator.scales_per_octave", 2),
    ("ssd_mobilenet_v2_300", "backbone.batch_norm_decay=0.99",
     "ssd.box_predictor.convolutional_box_predictor.conv_hyperparams.batch_norm.decay", 0.99),
    ("faster_rcnn50_640", "loss.first_stage_objectness_weight=0.5",
     "faster_rcnn.first_stage_objectness_loss_weight", 0.5),
    ("faster_rcnn101_1024", "loss.second_stage_classification_weight=3",
     "faster_rcnn.second_stage_classification_loss_weight", 3.0),
    ("centernet_hg104_512", "loss.beta=3",
     "center_net.object_center_params.classification_loss.penalty_reduced_logistic_focal_loss"
     ".beta", 3.0),
])
def test_architecture_keys_reach_their_fields(compose_cfg, model, key, path, expected):
    cfg = compose_cfg(f"model={model}", key)
    validate_config(cfg)
    value = _render(cfg).model
    for step in path.split("."):
        value = getattr(value, step)
    assert value == pytest.approx(expected)


def test_unset_keys_keep_the_zoo_values(compose_cfg):
    cfg = compose_cfg("model=efficientdet_d0")
    rendered = _render(cfg).model.ssd
    zoo = load_zoo_config(cfg.model.zoo_config).model.ssd
    assert rendered.loss == zoo.loss  # gamma 1.5, not SSD MobileNet's 2.0
    assert rendered.feature_extractor == zoo.feature_extractor


def test_resolution_sets_either_kind_of_resizer(compose_cfg):
    keep = _render(compose_cfg("model=faster_rcnn50_640", "resolution=800x1333")).model
    resizer = keep.faster_rcnn.image_resizer.keep_aspect_ratio_resizer
    assert (resizer.min_dimension, resizer.max_dimension) == (800, 1333)
    fixed = _render(compose_cfg("model=faster_rcnn50_1024", "resolution='256'")).model
    assert fixed.faster_rcnn.image_resizer.fixed_shape_resizer.height == 256


def test_fast_nms_only_where_the_architecture_has_it(compose_cfg):
    ssd = _render(compose_cfg("model=efficientdet_d0")).model.ssd
    assert ssd.post_processing.batch_non_max_suppression.use_combined_nms
    cfg = compose_cfg("model=faster_rcnn50_640")
    rendered = _render(cfg).model.faster_rcnn.second_stage_post_processing
    zoo = load_zoo_config(cfg.model.zoo_config).model.faster_rcnn.second_stage_post_processing
    assert rendered == zoo  # its second stage cannot use the combined op
    assert ARCHITECTURES["faster_rcnn"].fast_nms is None


@pytest.mark.parametrize(("model", "tunable"), [
    ("ssd320", {"loss.gamma", "loss.alpha", "backbone.depth_multiplier", "backbone.min_depth",
                "backbone.use_depthwise", "backbone.fpn_min_level", "backbone.fpn_max_level",
                "backbone.additional_layer_depth", "backbone.batch_norm_decay",
                "anchors.scale", "anchors.scales_per_octave"}),
    ("efficientdet_d3", {"loss.gamma", "loss.alpha", "backbone.batch_norm_decay",
                         "anchors.scale", "anchors.scales_per_octave"}),
    ("ssd_mobilenet_v2_300", {"loss.gamma", "loss.alpha", "backbone.depth_multiplier",
                              "backbone.min_depth", "backbone.use_depthwise",
                              "backbone.batch_norm_decay"}),
    ("centernet_hg104_1024", {"loss.alpha", "loss.beta"}),
    ("faster_rcnn50_fpn_640", {"loss.first_stage_localization_weight",
                               "loss.first_stage_objectness_weight",
                               "loss.second_stage_localization_weight",
                               "loss.second_stage_classification_weight"}),
])
def test_tunable_keys_per_model(compose_cfg, model, tunable):
    cfg = compose_cfg(f"model={model}")
    assert set(tunable_keys(load_zoo_config(cfg.model.zoo_config))) == tunable


def test_loss_components_tell_the_architecture_of_an_old_record():
    for name in ARCHITECTURES:
        final = {key: 0.1 for key in loss_components(name)}
        assert arch_from_losses(final) == name
        assert run_arch({"final": final}) == name
    assert run_arch({"arch": "center_net", "final": {}}) == "center_net"
    assert arch_from_losses({"Loss/total_loss": 1.0}) is None


def test_of_pipeline_names_the_allowed_architectures():
    from tfod_sweep.errors import ConfigError

    pipeline = load_zoo_config(zoo_config_names()[0])
    pipeline.model.ClearField("model")
    pipeline.model.experimental_model.name = "mine"
    with pytest.raises(ConfigError, match="'experimental_model' is not supported: allowed one "
                                          "of ssd, center_net, faster_rcnn"):
        of_pipeline(pipeline)


def test_a_mixed_report_gives_each_row_its_own_loss_columns():
    from tfod_sweep.review.logbook import LOSS_HEADERS, logbook_table_data

    assert set(LOSS_HEADERS) == set(ARCHITECTURES)
    runs = [{"name": arch, "arch": arch,
             "final": {key: 0.5 for key in loss_components(arch)}} for arch in ARCHITECTURES]
    loss_table = logbook_table_data(runs)[2]
    assert loss_table.headers[1:5] == LOSS_HEADERS["ssd"]
    faster = next(row for row in loss_table.rows if row[0] == "faster_rcnn")
    assert faster[1] == "RPNLoss_localization_loss = 0.500"
    assert faster[4].endswith("; total_loss = 0.500")  # six losses in four columns
    assert all(len(row) == len(loss_table.headers) for row in loss_table.rows)
    centernet = next(row for row in loss_table.rows if row[0] == "center_net")
    assert centernet[1] == "loss_box_offset = 0.500"


def test_a_field_path_never_switches_the_zoo_configs_oneof():
    from tfod_sweep.errors import ConfigError
    from tfod_sweep.registry.fields import get_field, set_field

    pipeline = load_zoo_config("centernet_resnet101_v1_fpn_512x512_coco17_tpu-8.config")
    before = pipeline.SerializeToString()
    with pytest.raises(ConfigError, match="uses 'keep_aspect_ratio_resizer' where "
                                          "'fixed_shape_resizer' was expected"):
        set_field(pipeline.model.center_net, "image_resizer.fixed_shape_resizer.height", 64)
    assert pipeline.SerializeToString() == before
    ssd = load_zoo_config("ssd_mobilenet_v2_320x320_coco17_tpu-8.config").model.ssd
    assert get_field(ssd, "box_predictor.*.conv_hyperparams.batch_norm.decay") == \
        pytest.approx(0.97)
