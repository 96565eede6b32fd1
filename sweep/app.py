"""The Hydra task. Composition and validation stay TensorFlow-free; TF loads only to train.

The app is where Hydra's runtime meets the library: it reads the run dir from Hydra,
asks the sweeper plugin whether this job is a study trial, and passes both in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from hydra_plugins.tfod_optuna_sweeper.reporter import is_trial_job, open_trial_reporter
from tfod_sweep.config import register_configs
from tfod_sweep.errors import BAD_INPUT, SweepError

register_configs()

# The config groups ship inside this package (sweep/conf, a link to the repo's conf/ in a
# clone), so an installed `python -m sweep` finds them from any working directory.
CONFIG_DIR = str(Path(__file__).resolve().parent / "conf")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | tuple[float, ...] | None:
    """Run one experiment and return the metric a sweeper optimizes (a tuple of several)."""
    try:
        from tfod_sweep.runner import run_experiment

        run_dir = Path(HydraConfig.get().runtime.output_dir)
        reporter = None if cfg.dry_run else open_trial_reporter()
        return run_experiment(cfg, run_dir, reporter)
    except SweepError as error:
        if is_trial_job() or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise  # the Optuna sweeper records it as the trial's fail_reason
        print(f"error: {error}", file=sys.stderr)
        sys.exit(BAD_INPUT)
