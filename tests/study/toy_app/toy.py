"""Toy Hydra task standing in for a training job in the sweeper tests (no TensorFlow).

It "trains" for ``num_steps`` steps; the value after step ``s`` is ``x * s / num_steps``,
reported through the sweeper plugin's ``reporter.open_trial_reporter()`` exactly as the real task
does. Knobs make it slow, fail or hang on purpose.
"""

from __future__ import annotations

import os
import time

import hydra
from omegaconf import DictConfig

from hydra_plugins.tfod_optuna_sweeper.reporter import open_trial_reporter


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    """Report a deterministic learning curve and return its last point."""
    reporter = open_trial_reporter()
    if reporter is None:
        print(f"toy: no trial reporter (x={cfg.x})", flush=True)
    slow = cfg.slow_x_above is not None and cfg.x > cfg.slow_x_above
    pause = cfg.slow_seconds_per_step if slow else cfg.seconds_per_step
    value = 0.0
    for step in range(1, cfg.num_steps + 1):
        time.sleep(pause)
        if cfg.fail_x_below is not None and cfg.x < cfg.fail_x_below:
            raise ValueError(f"toy failure: x={cfg.x} is below {cfg.fail_x_below}")
        value = cfg.x * step / cfg.num_steps
        if reporter is not None:
            reporter.report(value=value, step=step)
    if reporter is not None:
        reporter.set_user_attrs(
            {"seen": {"x": cfg.x, "y": cfg.y, "opt": cfg.opt}, "pid": os.getpid(), "steps": step}
        )
    return float(value)


if __name__ == "__main__":
    main()
