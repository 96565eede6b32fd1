"""Range checks for a composed experiment, each failing with one line naming key, value, range.

Types are already enforced by the schemas; this layer covers what types cannot say,
which architecture keys the chosen model actually has (setting `loss.gamma`
on CenterNet is an error naming the model, never silently ignored), and keys outside the schema:
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

from tfod_sweep.config.class_count import complete_num_classes
from tfod_sweep.config.ranges import (
    Allowed,
    above,
    at_least,
    half_open,
    one_of,
)
from tfod_sweep.config.schema import RootConfig
from tfod_sweep.errors import ConfigError
from tfod_sweep.metric_names import (
    COCO_METRICS,
    INFERENCE_METRICS,
    LATENCY_MEDIAN,
    LATENCY_P90,
)

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
    "steps_per_call": at_least(1),
    "fine_tune_checkpoint_type": one_of("detection", "classification", "full"),
    # The zoo's weights are COCO's (tfod_sweep.zoo.pretrained); importing tfod_sweep.zoo
    # here would load the OD API's protos into every process that imports the config.
    "pretrained": one_of("coco"),
}
EVAL_RANGES: dict[str, Allowed] = {"nms": one_of("combined", "per_class")}
# Smallest input side accepted (the SSD extractors' shape_utils.check_min_image_dim).
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


def _check_model(cfg: DictConfig) -> None:
    """Architecture keys and resolution, against the model's zoo config (tfod_sweep.registry).

    The zoo config says which architecture and feature extractor the model is; the
    registry says which `loss.*`/`backbone.*`/`anchors.*` keys those have, their ranges,
    and which input sides the extractor accepts. Protobuf only, no TensorFlow.
    """
    from tfod_sweep.registry import of_pipeline
    from tfod_sweep.registry.fields import get_field
    from tfod_sweep.registry.keys import SECTIONS, check_section, keys_of
    from tfod_sweep.registry.resizer import check_order, network_sides
    from tfod_sweep.zoo import load_zoo_config

    pipeline = load_zoo_config(cfg.model.zoo_config)
    for section in SECTIONS:
        check_section(section, cfg[section], pipeline, f"model={cfg.model.name}")
    arch = of_pipeline(pipeline)
    model = getattr(pipeline.model, arch.name)
    keys = keys_of(arch, model, "backbone")
    if "fpn_min_level" in keys:  # the effective levels: the experiment's or the zoo's
        low, high = (cfg.backbone.get(name) if cfg.backbone.get(name) is not None
                     else get_field(model, keys[name].fields[0])
                     for name in ("fpn_min_level", "fpn_max_level"))
        if low > high:
            raise ConfigError(f"backbone.fpn_min_level={low} is out of range: allowed <= "
                              f"backbone.fpn_max_level={high}")
    height, width = cfg.resolution.height, cfg.resolution.width
    check_order(model, height, width)
    rule = arch.side_rule(model, cfg.backbone)
    for key, side in network_sides(model, height, width).items():
        if not rule.accepts(side):
            multiple = f"a multiple of {rule.multiple} " if rule.multiple > 1 else ""
            raise ConfigError(f"resolution.{key}={side} is out of range: allowed {multiple}>= "
                              f"{rule.smallest} ({rule.why})")
    if height < MIN_IMAGE_SIDE:  # a keep-aspect resizer's short side
        raise ConfigError(f"resolution.height={height} is out of range: allowed >= "
                          f"{MIN_IMAGE_SIDE}")


def _check_dataset(cfg: DictConfig) -> None:
    dataset = cfg.dataset
    complete_num_classes(dataset)
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
    """Raise ConfigError (one line) for the first unknown key or value outside its range.

    A custom dataset without ``dataset.num_classes`` gets its label map's count here.
    """
    _check_known_keys(cfg)
    _check_model(cfg)
    _check("train", cfg.train, TRAIN_RANGES)
    if cfg.train.warmup_learning_rate > cfg.train.learning_rate:
        raise ConfigError(
            f"train.warmup_learning_rate={cfg.train.warmup_learning_rate} is out of range: "
            f"allowed <= train.learning_rate={cfg.train.learning_rate}"
        )
    _check_train_extras(cfg)
    stop = cfg.train.get("stop_at")
    if stop is not None and not 1 <= stop <= cfg.train.num_steps:
        raise ConfigError(f"train.stop_at={stop} is out of range: allowed 1 to "
                          f"train.num_steps={cfg.train.num_steps}, or null")
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
