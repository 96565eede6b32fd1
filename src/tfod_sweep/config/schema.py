"""Typed schemas of every config group, registered as `base_*` in Hydra's ConfigStore.

YAML files in `conf/` hold the values and name their schema in `defaults:` (e.g.
`- /base_loss` in `conf/loss/*.yaml`), so a typo or a wrong type fails while the
config is composed, before TensorFlow loads. The schemas live at the root of the
store, outside every config group, so they never show up as options such as
`model=base_model`. Ranges that types cannot express are checked by `validate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from tfod_sweep.config.run_name import run_name


@dataclass
class ModelConfig:
    """A model preset: which zoo config it starts from and its meta-architecture."""

    name: str = MISSING
    arch: str = MISSING  # "ssd" or "center_net": the oneof of the OD API's DetectionModel
    zoo_config: str = MISSING  # file name in tfod_sweep/zoo/


@dataclass
class BackboneConfig:
    """Feature extractor; fields a backbone does not have stay null."""

    name: str = MISSING
    arch: str = MISSING
    feature_extractor: str = MISSING
    depth_multiplier: float | None = None
    min_depth: int | None = None
    use_depthwise: bool | None = None
    fpn_min_level: int | None = None
    fpn_max_level: int | None = None
    additional_layer_depth: int | None = None
    batch_norm_decay: float | None = None


@dataclass
class ResolutionConfig:
    height: int = MISSING
    width: int = MISSING


@dataclass
class LossConfig:
    """Classification loss; which of gamma/alpha/beta apply depends on `name`."""

    name: str = MISSING
    arch: str = MISSING
    gamma: float | None = None
    alpha: float | None = None
    beta: float | None = None


@dataclass
class SyntheticConfig:
    num_classes: int = 21
    train_images: int = 1000
    val_images: int = 200
    image_size: int = 192
    seed: int = 0
    train_shards: int = 2
    val_shards: int = 1


@dataclass
class DatasetConfig:
    """TFRecords + label map; `synthetic` set means generate them on first use."""

    name: str = MISSING
    num_classes: int = MISSING
    train: str | None = None
    val: str | None = None
    label_map: str | None = None
    val_coco_gt: str | None = None
    data_dir: str = MISSING
    synthetic: SyntheticConfig | None = None


@dataclass
class TrainConfig:
    batch_size: int = 8
    num_steps: int = 1000
    learning_rate: float = 0.04
    warmup_fraction: float = 0.1
    warmup_learning_rate: float = 0.0133
    momentum: float | None = None
    eval_every: int = 500
    checkpoint_every: int = 500
    augmentations: list[str] | None = None
    fine_tune_checkpoint: str | None = None
    fine_tune_checkpoint_type: str = "detection"
    seed: int = 0
    deterministic: bool = True


@dataclass
class EvalConfig:
    nms: str = "combined"
    max_images: int | None = None


@dataclass
class PathsConfig:
    outputs: str = "outputs"
    data_dir: str = MISSING


@dataclass
class RootConfig:
    """The whole experiment; group nodes are filled by the defaults list."""

    model: ModelConfig = MISSING
    backbone: BackboneConfig = MISSING
    resolution: ResolutionConfig = MISSING
    loss: LossConfig = MISSING
    dataset: DatasetConfig = MISSING
    train: TrainConfig = MISSING
    eval: EvalConfig = MISSING
    paths: PathsConfig = MISSING
    optimized_metric: str = "DetectionBoxes_Precision/mAP@.50IOU"
    dry_run: bool = False
    verbose: bool = False


_GROUP_SCHEMAS: dict[str, type] = {
    "model": ModelConfig,
    "backbone": BackboneConfig,
    "resolution": ResolutionConfig,
    "loss": LossConfig,
    "dataset": DatasetConfig,
    "train": TrainConfig,
    "eval": EvalConfig,
    "paths": PathsConfig,
}


def register_configs() -> None:
    """Store the schemas and resolvers; called before Hydra composes (idempotent).

    A group's YAML pulls its schema in with `- /base_<group>` (a root-level name), and
    the default package of its parent puts it at the group's node, e.g. `loss`.
    """
    if not OmegaConf.has_resolver("run_name"):
        OmegaConf.register_new_resolver("run_name", run_name)
    store = ConfigStore.instance()
    store.store(name="base_config", node=RootConfig)
    for group, schema in _GROUP_SCHEMAS.items():
        store.store(name=f"base_{group}", node=schema)
