"""Range checks for a composed experiment, each failing with one line naming key, value, range.

Types are already enforced by the schemas; this layer covers what types cannot say,
which parameters a chosen loss or backbone actually has (setting `loss.gamma`
on CenterNet is an error, never silently ignored), and keys outside the schema:
Hydra lets `+key=value` add any key, so a typo such as `+train.bach_size=4` would
otherwise be dropped without a word.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from tfod_sweep.config.ranges import (
    ANY,
    Allowed,
    above,
    at_least,
    half_open,
    int_range,
    one_of,
    open_interval,
)
from tfod_sweep.config.schema import RootConfig
from tfod_sweep.errors import ConfigError
from tfod_sweep.metric_names import (
    COCO_METRICS,
    INFERENCE_METRICS,
    LATENCY_MEDIAN,
    LATENCY_P90,
)

# Which parameters each loss / backbone has, and their ranges. A parameter that is
# not listed for the chosen option must stay null.
LOSS_PARAMS: dict[str, dict[str, Allowed]] = {
    "sigmoid_focal": {"gamma": at_least(0), "alpha": open_interval(0, 1)},
    "penalty_reduced_focal": {"alpha": at_least(0), "beta": at_least(0)},
}
BACKBONE_PARAMS: dict[str, dict[str, Allowed]] = {
    "mobilenet_v2_fpnlite": {
        "depth_multiplier": above(0),
        "min_depth": at_least(1),
        "use_depthwise": ANY,
        "fpn_min_level": int_range(3, 5),
        "fpn_max_level": int_range(3, 7),
        "additional_layer_depth": at_least(1),
        "batch_norm_decay": open_interval(0, 1),
    },
    "resnet101_v1_fpn": {},
}
OPTIONAL_PARAMS = {"loss": ("gamma", "alpha", "beta"), "backbone": tuple(
    BACKBONE_PARAMS["mobilenet_v2_fpnlite"])}

TRAIN_RANGES: dict[str, Allowed] = {
    "batch_size": at_least(1),
    "num_steps": at_least(1),
    "learning_rate": above(0),
    "warmup_fraction": half_open(0, 1),
    "warmup_learning_rate": at_least(0),
    "optimizer": one_of("momentum", "adam"),
    "momentum": half_open(0, 1),
    "eval_every": at_least(1),
    "checkpoint_every": at_least(1),
    "fine_tune_checkpoint_type": one_of("detection", "classification", "full"),
}
EVAL_RANGES: dict[str, Allowed] = {"nms": one_of("combined", "per_class")}
# Smallest input the SSD feature extractors accept (shape_utils.check_min_image_dim).
MIN_IMAGE_SIDE = 33


def _nested_schema(hint: Any) -> type | None:
    """The dataclass a field holds (`SyntheticConfig | None` -> SyntheticConfig), else None."""
    for candidate in typing.get_args(hint) or (hint,):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None


def unknown_key_error(key: str) -> ConfigError | None:
    """The error for a dotted key the schema does not have; None when it has it.

    Only the path is checked: below a leaf (a value or a list) nothing is.
    """
    schema: type | None = RootConfig
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if schema is None:
            return None
        fields = typing.get_type_hints(schema)
        if part not in fields:
            parent = ".".join(parts[:depth])
            where = f"keys of {parent}" if parent else "top-level keys"
            return ConfigError(f"{key} is not a config key: allowed {where}: {', '.join(fields)}")
        schema = _nested_schema(fields[part])
    return None


def _check_known_keys(node: DictConfig, prefix: str = "") -> None:
    """Reject keys that `+key=value` added outside the schema, at any depth."""
    for key in node:
        dotted = f"{prefix}{key}"
        error = unknown_key_error(dotted)
        if error is not None:
            raise error
        if not OmegaConf.is_missing(node, key) and isinstance(node[key], DictConfig):
            _check_known_keys(node[key], f"{dotted}.")


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _check(section: str, node: Mapping[str, Any], ranges: Mapping[str, Allowed]) -> None:
    for key, allowed in ranges.items():
        value = node.get(key)
        if value is None:
            continue
        if (isinstance(value, float) and not math.isfinite(value)) or not allowed.test(value):
            raise ConfigError(
                f"{section}.{key}={_fmt(value)} is out of range: allowed {allowed.words}"
            )


def _check_params(section: str, node: Mapping[str, Any], option: str,
                  table: Mapping[str, Mapping[str, Allowed]], owner: str) -> None:
    """Range-check the parameters `option` has; reject set ones it does not have."""
    params = table.get(option)
    if params is None:
        raise ConfigError(f"{section}={option} is unknown: allowed one of {', '.join(table)}")
    for key in OPTIONAL_PARAMS[section]:
        if key not in params and node.get(key) is not None:
            has = ", ".join(params) or "none"
            raise ConfigError(
                f"{section}.{key}={_fmt(node.get(key))} does not apply to {section}={option} "
                f"used by {owner} (its parameters: {has})"
            )
    _check(section, node, params)


def _check_resolution(cfg: DictConfig) -> None:
    """FPN top-down merges need every level to halve exactly: sides divisible by 2^top level."""
    height, width = cfg.resolution.height, cfg.resolution.width
    top_level = min(cfg.backbone.get("fpn_max_level") or 5, 5)
    multiple = 2**top_level
    for key, side in (("height", height), ("width", width)):
        if side < MIN_IMAGE_SIDE or side % multiple:
            raise ConfigError(
                f"resolution.{key}={side} is out of range: allowed a multiple of {multiple} "
                f">= {MIN_IMAGE_SIDE} (the FPN merges feature levels up to stride {multiple})"
            )
    if cfg.model.arch == "center_net" and height != width:
        raise ConfigError(
            f"resolution={height}x{width} is out of range: CenterNet pads to a square, "
            "allowed height == width"
        )


def _check_dataset(cfg: DictConfig) -> None:
    dataset = cfg.dataset
    _check("dataset", dataset, {"num_classes": at_least(1)})
    synthetic = dataset.get("synthetic")
    if synthetic is not None:
        from tfod_sweep.config.schema import SyntheticParams

        SyntheticParams.from_mapping(synthetic)  # the generator owns its ranges
        if synthetic.num_classes != dataset.num_classes:
            raise ConfigError(
                f"dataset.num_classes={dataset.num_classes} disagrees with "
                f"dataset.synthetic.num_classes={synthetic.num_classes}: allowed equal values"
            )


def _check_train_extras(cfg: DictConfig) -> None:
    """Train keys whose validity depends on the zoo config or the OD API's protos."""
    from object_detection.protos import preprocessor_pb2  # protobuf only, no TensorFlow

    steps = preprocessor_pb2.PreprocessingStep.DESCRIPTOR.oneofs_by_name["preprocessing_step"]
    valid = {field.name for field in steps.fields}
    for name in cfg.train.get("augmentations") or []:
        if name not in valid:
            raise ConfigError(
                f"train.augmentations: {name!r} is unknown: allowed OD API preprocessing steps "
                "such as random_horizontal_flip, random_crop_image, random_adjust_brightness"
            )


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError (one line) for the first unknown key or value outside its range."""
    _check_known_keys(cfg)
    arch = cfg.model.arch
    for section in ("loss", "backbone"):
        if cfg[section].arch != arch:
            raise ConfigError(
                f"{section}={cfg[section].name} is for {cfg[section].arch} models but "
                f"model={cfg.model.name} is {arch}: allowed a {section} for {arch}"
            )
    owner = f"model={cfg.model.name}"
    _check_params("loss", cfg.loss, cfg.loss.name, LOSS_PARAMS, owner)
    _check_params("backbone", cfg.backbone, cfg.backbone.name, BACKBONE_PARAMS, owner)
    backbone = cfg.backbone
    levels = (backbone.get("fpn_min_level"), backbone.get("fpn_max_level"))
    if None not in levels and levels[0] > levels[1]:
        raise ConfigError(
            f"backbone.fpn_min_level={backbone.fpn_min_level} is out of range: allowed "
            f"<= backbone.fpn_max_level={backbone.fpn_max_level}"
        )
    _check_resolution(cfg)
    _check("train", cfg.train, TRAIN_RANGES)
    if cfg.train.warmup_learning_rate > cfg.train.learning_rate:
        raise ConfigError(
            f"train.warmup_learning_rate={cfg.train.warmup_learning_rate} is out of range: "
            f"allowed <= train.learning_rate={cfg.train.learning_rate}"
        )
    _check_train_extras(cfg)
    _check("eval", cfg.eval, EVAL_RANGES | {"max_images": at_least(1),
                                            "latency_images": at_least(0)})
    _check_dataset(cfg)
    _check_objectives(cfg)


def _check_objectives(cfg: DictConfig) -> None:
    """`optimized_metric`: one known metric, or a list of distinct ones (several objectives).

    Latency is measured only when eval.latency_images > 0, so optimizing it with the
    measurement off would fail every run at its very end; it fails here instead.
    """
    value = cfg.optimized_metric
    allowed = (*COCO_METRICS, *INFERENCE_METRICS)
    if isinstance(value, str):
        names = [value]
    elif isinstance(value, ListConfig | list) and len(value) > 0:
        names = list(value)
    else:
        raise ConfigError(f"optimized_metric={value!r} is out of range: allowed a metric name "
                          "or a non-empty list of them")
    for name in names:
        if name not in allowed:
            raise ConfigError(f"optimized_metric={name!r} is unknown: allowed one of "
                              + ", ".join(allowed))
    if len(set(names)) != len(names):
        raise ConfigError(f"optimized_metric={names} lists a metric twice: allowed distinct "
                          "metrics")
    measured = [name for name in names if name in (LATENCY_MEDIAN, LATENCY_P90)]
    if measured and cfg.eval.latency_images == 0:
        raise ConfigError(f"optimized_metric {measured[0]!r} needs the latency measurement: "
                          "allowed eval.latency_images >= 1 (0 turns it off)")
