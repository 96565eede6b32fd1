"""Experiment keys -> a zoo config's fields, for whichever architecture the zoo config is.

`loss.*`, `backbone.*` and `anchors.*` keys are null by default, meaning "the zoo config's value". A
key set on a model that does not have it is an error naming the model, never ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tfod_sweep.errors import ConfigError
from tfod_sweep.registry import of_pipeline
from tfod_sweep.registry.base import Architecture, Key
from tfod_sweep.registry.fields import set_field
from tfod_sweep.registry.resizer import set_resolution

#: Config sections whose keys belong to an architecture (the rest apply to every model).
SECTIONS = ("loss", "backbone", "anchors")


def keys_of(arch: Architecture, model: Any, section: str) -> Mapping[str, Key]:
    """The `section.*` keys this model has, with their ranges and fields."""
    if section == "loss":
        return arch.loss_keys
    of_model = {"backbone": arch.backbone_keys, "anchors": arch.anchor_keys}[section]
    return of_model(model)


def describe(arch: Architecture, model: Any) -> str:
    """`SSD, ssd_efficientnet-b0_bifpn_keras`: what a key error names besides the model."""
    return f"{arch.title}, {model.feature_extractor.type}"


def tunable_keys(pipeline: Any) -> list[str]:
    """Every architecture key (`loss.gamma`, `backbone.min_depth`, ...) the zoo config has."""
    arch = of_pipeline(pipeline)
    model = getattr(pipeline.model, arch.name)
    return [f"{section}.{name}" for section in SECTIONS
            for name in keys_of(arch, model, section)]


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_section(section: str, node: Mapping[str, Any], pipeline: Any, owner: str) -> None:
    """Raise a one-line ConfigError for a set key the model lacks or a value out of range.

    Args:
        section: one of SECTIONS.
        node: the composed section (null values are the zoo's own).
        pipeline: the model's zoo config.
        owner: how the error names the model, e.g. "model=efficientdet_d0".
    """
    arch = of_pipeline(pipeline)
    model = getattr(pipeline.model, arch.name)
    keys = keys_of(arch, model, section)
    for name, value in node.items():
        if name == "name" or value is None:
            continue
        key = keys.get(name)
        if key is None:
            has = (f"its {section} keys: {', '.join(keys)}" if keys
                   else f"it has no {section}.* keys")
            raise ConfigError(
                f"{section}.{name}={_fmt(value)} does not apply to {owner} "
                f"({describe(arch, model)}; {has})"
            )
        bad_float = isinstance(value, float) and not math.isfinite(value)
        if bad_float or not key.allowed.test(value):
            raise ConfigError(f"{section}.{name}={_fmt(value)} is out of range: allowed "
                              f"{key.allowed.words}")


def apply_experiment(pipeline: Any, cfg: Any) -> None:
    """Set the model fields the experiment controls: classes, resolution, set keys, NMS."""
    arch = of_pipeline(pipeline)
    model = getattr(pipeline.model, arch.name)
    model.num_classes = cfg.dataset.num_classes
    set_resolution(model, cfg.resolution.height, cfg.resolution.width)
    for section in SECTIONS:
        check_section(section, cfg[section], pipeline, f"model={cfg.model.name}")
        for name, key in keys_of(arch, model, section).items():
            value = cfg[section].get(name)
            if value is not None:
                for path in key.fields:
                    set_field(model, path, value)
    if cfg.eval.nms == "combined" and arch.fast_nms is not None:
        for path, value in arch.fast_nms.items():
            set_field(model, path, value)
