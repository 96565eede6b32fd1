"""Shared fixtures: compose the experiment config the way `python -m sweep` does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

# Importing tfod_sweep sets TF_USE_LEGACY_KERAS before any test imports TensorFlow.
from tfod_sweep.config import register_configs

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"


@pytest.fixture
def compose_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    """Compose with overrides; outputs and cached data go under tmp_path."""
    register_configs()

    def _compose(*overrides: str) -> DictConfig:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose("config", overrides=[f"paths.outputs={tmp_path}", *overrides])
        return cfg

    return _compose


def run_sweep(*args: str, cwd: Path, timeout: float = 900,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m sweep ARGS` as a user would, in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "sweep", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )


# One tiny real training run per session, read by tests/training and tests/export.
# Small but real: the zoo's SSD MobileNet v2 FPNLite at 128x128 on the embedded data.
TINY = (
    "resolution=128", "train.batch_size=4", "train.num_steps=12", "train.eval_every=6",
    "train.checkpoint_every=6", "eval.max_images=24", "dataset.synthetic.train_images=64",
    "dataset.synthetic.val_images=24",
)


def run_dir_of(outputs: Path) -> Path:
    (metrics,) = outputs.glob("runs/*/metrics.json")
    return metrics.parent


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Its run dir and stdout; tests only read it (an export goes to its own --out)."""
    outputs = tmp_path_factory.mktemp("outputs")
    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY, f"paths.outputs={outputs}",
                       cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir_of(outputs), result.stdout


