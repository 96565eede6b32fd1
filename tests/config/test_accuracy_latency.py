"""conf/hparams_search/accuracy_latency.yaml: its every searched point is a valid experiment.

Not a run of the study (an hour of training): its settings pass the sweeper's checks, and
every resolution it may draw, at the extremes of the other choices, passes validation.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from hydra_plugins.tfod_optuna_sweeper._conf import load_settings
from tests.conftest import CONF_DIR
from tfod_sweep.config import register_configs, validate_config

RESOLUTIONS = ("128", "192", "256")


def _compose(outputs: Path, *overrides: str, hydra: bool = False) -> DictConfig:
    """The study's config (with its `hydra` node for the sweeper's settings)."""
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=["hparams_search=accuracy_latency",
                                            f"paths.outputs={outputs}", *overrides],
                       return_hydra_config=hydra)


def test_the_study_is_two_objective_without_a_pruner(tmp_path: Path) -> None:
    cfg = _compose(tmp_path, hydra=True)
    settings = load_settings(cfg.hydra.sweeper)
    assert settings.directions == ["maximize", "minimize"]
    assert settings.pruner is None
    assert list(cfg.optimized_metric) == ["DetectionBoxes_Precision/mAP@.50IOU",
                                          "Latency/median_ms"]
    assert cfg.eval.latency_images > 0
    assert set(settings.params) == {"resolution", "backbone.depth_multiplier",
                                    "backbone.min_depth", "loss.gamma", "loss.alpha"}
    assert settings.params["resolution"] == "choice(" + ", ".join(
        f"'{r}'" for r in RESOLUTIONS) + ")"


@pytest.mark.parametrize(("resolution", "depth", "min_depth"),
                         list(itertools.product(RESOLUTIONS, (0.5, 1.0), (8, 16))))
def test_every_drawn_point_validates(tmp_path: Path, resolution: str, depth: float,
                                     min_depth: int) -> None:
    cfg = _compose(tmp_path, f"resolution='{resolution}'",
                   f"backbone.depth_multiplier={depth}", f"backbone.min_depth={min_depth}",
                   "loss.gamma=0.5", "loss.alpha=0.9")
    assert (cfg.resolution.height, cfg.resolution.width) == (int(resolution), int(resolution))
    validate_config(cfg)
