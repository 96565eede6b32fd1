"""The Hydra task. Composition and validation stay TensorFlow-free; TF loads only to train."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from tfod_sweep.config import register_configs
from tfod_sweep.errors import SweepError

register_configs()

# The config groups ship inside this package (sweep/conf, a link to the repo's conf/ in a
# clone), so an installed `python -m sweep` finds them from any working directory.
CONFIG_DIR = str(Path(__file__).resolve().parent / "conf")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    """Run one experiment and return the metric a sweeper optimizes."""
    try:
        from tfod_sweep.runner import run_experiment

        return run_experiment(cfg)
    except SweepError as error:
        if _failure_belongs_to_a_study() or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise  # the Optuna sweeper records it as the trial's fail_reason
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


def _failure_belongs_to_a_study() -> bool:
    """True when our Optuna sweeper runs this job: it turns exceptions into FAIL trials."""
    hydra_cfg = HydraConfig.get()
    target = str(hydra_cfg.sweeper.get("_target_", ""))
    return hydra_cfg.mode == RunMode.MULTIRUN and "tfod_optuna_sweeper" in target
