"""Experiment configuration: schemas, key and range checks, run directory names."""

from tfod_sweep.config.schema import RootConfig, register_configs
from tfod_sweep.config.validate import validate_config

__all__ = ["RootConfig", "register_configs", "validate_config"]
