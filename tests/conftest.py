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
