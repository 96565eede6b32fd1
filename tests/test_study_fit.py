"""A study fits the chosen model: keys the model lacks leave the search, said in one line."""

from __future__ import annotations

import pytest
from google.protobuf import text_format
from object_detection.protos import pipeline_pb2
from omegaconf import OmegaConf

from tests.conftest import CONF_DIR, REPO, run_sweep
from tfod_sweep.errors import ConfigError
from tfod_sweep.study_fit import fit_study

FOCAL_DEPTH = OmegaConf.to_container(
    OmegaConf.load(CONF_DIR / "hparams_search" / "focal_depth.yaml").hydra.sweeper)


def _fit(compose_cfg, *overrides: str, arguments: tuple[str, ...] = ()):
    cfg = compose_cfg("experiment=demo", *overrides)
    return fit_study(cfg, list(FOCAL_DEPTH["params"]), FOCAL_DEPTH["enqueue"],
                     list(arguments) or list(overrides))


def test_focal_depth_on_efficientdet_searches_only_the_focal_loss(compose_cfg):
    fitted = _fit(compose_cfg, "model=efficientdet_d0")
    assert set(fitted.dropped) == {"backbone.min_depth", "backbone.depth_multiplier"}
    # The demo recipe's depths go back to the zoo config's; its batch-norm decay stays.
    assert set(fitted.reset) == {"backbone.min_depth=null", "backbone.depth_multiplier=null"}
    assert fitted.enqueue == [{"loss.gamma": 2.0, "loss.alpha": 0.25},
                              {"loss.gamma": 2.25, "loss.alpha": 0.5}]
    assert fitted.note is not None and "\n" not in fitted.note
    assert fitted.note.startswith("study: not searching backbone.min_depth, "
                                  "backbone.depth_multiplier: model=efficientdet_d0 (SSD, "
                                  "ssd_efficientnet-b0_bifpn_keras) does not have them")
    assert fitted.note.endswith("searching loss.gamma, loss.alpha")


@pytest.mark.parametrize("model", ["ssd320", "retinanet50_640", "ssd_mobilenet_v2_300"])
def test_a_model_with_every_key_keeps_the_study(compose_cfg, model):
    fitted = _fit(compose_cfg, f"model={model}")
    assert (fitted.dropped, fitted.reset, fitted.note) == ((), (), None)
    assert fitted.enqueue == FOCAL_DEPTH["enqueue"]


def test_a_key_typed_on_the_command_line_is_refused_not_dropped(compose_cfg):
    with pytest.raises(ConfigError, match="backbone.use_depthwise=True does not apply to "
                                          "model=efficientdet_d0"):
        _fit(compose_cfg, "model=efficientdet_d0", "backbone.use_depthwise=true")


def test_an_anchor_search_fits_the_model_like_any_section(compose_cfg):
    searched = ["loss.gamma", "anchors.scale"]
    enqueue = [{"loss.gamma": 2.0, "anchors.scale": 4.0}]
    kept = fit_study(compose_cfg("model=ssd320"), searched, enqueue, [])
    assert (kept.dropped, kept.enqueue) == ((), enqueue)
    # Plain MobileNet SSD's per-layer anchor generator has no anchor scale.
    dropped = fit_study(compose_cfg("model=ssd_mobilenet_v2_300"), searched, enqueue, [])
    assert dropped.dropped == ("anchors.scale",)
    assert dropped.enqueue == [{"loss.gamma": 2.0}]
    # A recipe's anchor value goes back to the zoo config's on a model without the key.
    reset = fit_study(compose_cfg("model=centernet512", "anchors.scale=3"), [], [], [])
    assert reset.reset == ("anchors.scale=null",)


def test_another_app_or_a_searched_model_is_left_alone(compose_cfg):
    assert fit_study({"x": 1}, ["x"], [{"x": 0.5}], []).dropped == ()
    cfg = compose_cfg("model=efficientdet_d0")
    assert fit_study(cfg, ["model", "backbone.min_depth"], [], []).dropped == ()


@pytest.mark.slow
def test_focal_depth_study_on_efficientdet_says_what_it_dropped(tmp_path):
    """The real sweeper: one line at start, and the trial renders EfficientDet's own depths
    (a dry run: the trial renders its files and returns no value, so the study fails)."""
    # 256: the demo recipe's 128 is below the BiFPN's smallest side (registry rule).
    result = run_sweep("-m", "hparams_search=focal_depth", "model=efficientdet_d0",
                       "resolution=256",
                       "dry_run=true", "hydra.sweeper.n_trials=1", "hydra.sweeper.n_jobs=1",
                       f"paths.outputs={tmp_path}",
                       "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
                       cwd=REPO, timeout=300)
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if "study: not searching" in line]
    assert len(lines) == 1, result.stdout + result.stderr
    assert "backbone.min_depth, backbone.depth_multiplier" in lines[0]
    assert "ConfigError" not in result.stdout + result.stderr
    (config,) = tmp_path.glob("studies/focal_depth/trial_0/pipeline.config")
    rendered = text_format.Parse(config.read_text(), pipeline_pb2.TrainEvalPipelineConfig())
    extractor = rendered.model.ssd.feature_extractor
    assert (extractor.depth_multiplier, extractor.min_depth) == (1.0, 16)  # not the demo's


@pytest.mark.parametrize("start", ["train.pretrained=coco",
                                   "train.fine_tune_checkpoint=/ckpt/ckpt-0"])
def test_a_fine_tuning_study_keeps_the_checkpoints_shapes(compose_cfg, start):
    """Depth keys resize the feature extractor, so the zoo checkpoint would not restore."""
    fitted = _fit(compose_cfg, start, arguments=())
    assert set(fitted.dropped) == {"backbone.min_depth", "backbone.depth_multiplier"}
    assert set(fitted.reset) == {"backbone.min_depth=null", "backbone.depth_multiplier=null"}
    assert fitted.note is not None and "fine-tuned from a checkpoint" in fitted.note
    assert fitted.note.endswith("searching loss.gamma, loss.alpha")

