"""The architecture registry: one module per OD API meta-architecture, looked up by name.

The OD API's `model_builder` maps the `DetectionModel` oneof member a pipeline.config
sets ("ssd", "center_net", "faster_rcnn") to a builder; we map it to what tfod-sweep
knows about that architecture (`Architecture`). A model's architecture is always read
from its zoo config, never declared. TF-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfod_sweep.errors import ConfigError
from tfod_sweep.registry import center_net, faster_rcnn, ssd
from tfod_sweep.registry.base import Architecture, Key, SideRule

ARCHITECTURES: dict[str, Architecture] = {
    module.ARCH.name: module.ARCH for module in (ssd, center_net, faster_rcnn)
}


#: What a record without an `arch` (older metrics.json files) is taken to be.
DEFAULT_ARCH = ssd.ARCH.name


def architecture(name: str) -> Architecture:
    """The record of the `DetectionModel` oneof member `name`."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ConfigError(
            f"model architecture {name!r} is not supported: allowed one of "
            + ", ".join(ARCHITECTURES)
        ) from None


def of_pipeline(pipeline: Any) -> Architecture:
    """The architecture a `TrainEvalPipelineConfig` sets."""
    return architecture(str(pipeline.model.WhichOneof("model")))


def of_zoo_config(file_name: str) -> Architecture:
    """The architecture of a shipped zoo config (how a model's `arch` is known)."""
    from tfod_sweep.zoo import load_zoo_config  # protobuf: only when asked

    return of_pipeline(load_zoo_config(file_name))


def model_message(pipeline: Any) -> Any:
    """The architecture's own message, e.g. `pipeline.model.ssd`."""
    return getattr(pipeline.model, of_pipeline(pipeline).name)


def loss_components(name: str) -> tuple[str, ...]:
    """The `Loss/...` values an architecture's training reports, in table order."""
    return architecture(name).loss_components


def all_loss_components() -> tuple[str, ...]:
    """Every architecture's loss components, each once (e.g. a study's attribute keys)."""
    names = (key for arch in ARCHITECTURES.values() for key in arch.loss_components)
    return tuple(dict.fromkeys(names))


def arch_from_losses(metrics: Mapping[str, Any]) -> str | None:
    """The architecture whose own loss components `metrics` holds (older records lack
    `arch`); None when no architecture's components are all there."""
    shared = ("Loss/total_loss", "Loss/regularization_loss")
    for arch in ARCHITECTURES.values():
        own = [key for key in arch.loss_components if key not in shared]
        if all(key in metrics for key in own):
            return arch.name
    return None


def run_arch(run: Mapping[str, Any]) -> str:
    """A run record's architecture: its `arch`, else the one its losses show, else SSD."""
    return str(run.get("arch") or arch_from_losses(run.get("final") or {}) or DEFAULT_ARCH)


__all__ = [
    "ARCHITECTURES",
    "DEFAULT_ARCH",
    "Architecture",
    "Key",
    "SideRule",
    "all_loss_components",
    "arch_from_losses",
    "architecture",
    "loss_components",
    "model_message",
    "of_pipeline",
    "of_zoo_config",
    "run_arch",
]
