"""The Hydra task. Composition and validation stay TensorFlow-free; TF loads only to train."""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from tfod_sweep.config import register_configs
from tfod_sweep.errors import SweepError

register_configs()

# conf/ sits beside this package in the repo (an absolute path: `python -m` runs us as a module).
CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "conf")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    """Run one experiment and return the metric a sweeper optimizes."""
    try:
        from tfod_sweep.runner import run_experiment

        return run_experiment(cfg)
    except SweepError as error:
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            raise  # the sweeper records it as the trial's failure reason
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
