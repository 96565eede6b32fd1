"""Turn the composed ``cfg.dataset`` node into concrete, checked file paths.

Fast on purpose (no record scan): it runs for every trial. Deep checks live in
``inspect_tfrecords``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tfod_sweep.data.label_map import contiguous_class_names, read_label_map
from tfod_sweep.data.synthetic import SyntheticParams, ensure_synthetic
from tfod_sweep.data.tfrecord_io import expand_paths
from tfod_sweep.errors import ConfigError, DataError


@dataclass(frozen=True)
class ResolvedDataset:
    """Paths and classes the trainer needs, all checked to exist."""

    train: str  # TFRecord file or glob pattern for the train split
    val: str  # TFRecord file or glob for val
    label_map: str  # path to label_map.pbtxt
    num_classes: int
    class_names: list[str]  # index i -> name of label id i+1
    val_coco_gt: str | None  # COCO GT json for val if known (always for synthetic)


def resolve_dataset(dataset: Mapping[str, Any], progress: bool = True) -> ResolvedDataset:
    """Generate-or-reuse the synthetic set, or check a custom one's files and label map."""
    synthetic = dataset.get("synthetic")
    if synthetic is not None:
        return _resolve_synthetic(dataset, synthetic, progress)
    return _resolve_custom(dataset)


def _resolve_synthetic(
    dataset: Mapping[str, Any], synthetic: Mapping[str, Any], progress: bool
) -> ResolvedDataset:
    # validate_config has checked dataset.num_classes against the generator's.
    params = SyntheticParams.from_mapping(dict(synthetic.items()))
    data_dir = dataset.get("data_dir")
    if not data_dir:
        raise ConfigError("dataset.data_dir must be set for a synthetic dataset")
    ds = ensure_synthetic(params, str(data_dir), progress=progress)
    return ResolvedDataset(
        train=ds.train,
        val=ds.val,
        label_map=ds.label_map,
        num_classes=len(ds.class_names),
        class_names=ds.class_names,
        val_coco_gt=ds.val_coco_gt,
    )


def _resolve_custom(dataset: Mapping[str, Any]) -> ResolvedDataset:
    name = dataset.get("name", "custom")
    paths: dict[str, str] = {}
    for key in ("train", "val", "label_map"):
        value = dataset.get(key)
        if not value:
            raise ConfigError(
                f"dataset.{key} must be set for dataset '{name}' "
                "(e.g. dataset.train='data/train-?????-of-00010.tfrecord')"
            )
        paths[key] = _absolute(str(value))
    for key in ("train", "val"):
        if not _is_remote(paths[key]):
            expand_paths(paths[key], what=f"dataset.{key} TFRecord")
    _, class_names = label_map_classes(paths["label_map"])
    check_num_classes(dataset.get("num_classes"), len(class_names), paths["label_map"])
    gt = dataset.get("val_coco_gt")
    val_coco_gt = _absolute(str(gt)) if gt else None
    if val_coco_gt and not os.path.isfile(val_coco_gt):
        raise DataError(f"{val_coco_gt}: dataset.val_coco_gt file does not exist")
    return ResolvedDataset(
        train=paths["train"],
        val=paths["val"],
        label_map=paths["label_map"],
        num_classes=len(class_names),
        class_names=class_names,
        val_coco_gt=val_coco_gt,
    )


def label_map_classes(label_map: str) -> tuple[str, list[str]]:
    """The label map's absolute path and its names for ids 1..N (DataError if unusable).

    Protobuf only, so the config layer can take a class count from it without TensorFlow.
    """
    path = _absolute(label_map)
    return path, contiguous_class_names(read_label_map(path), path)


def check_num_classes(declared: Any, count: int, label_map: str) -> None:
    """One line when a given ``dataset.num_classes`` is not the label map's count."""
    if declared is not None and int(declared) != count:
        raise DataError(
            f"dataset.num_classes={declared} but label map {label_map} has {count} classes"
        )


def _is_remote(path: str) -> bool:
    """gs:// and similar are read by TensorFlow's file system layer, not checked here."""
    return "://" in path


def _absolute(path: str) -> str:
    return path if _is_remote(path) else os.path.abspath(os.path.expanduser(path))
