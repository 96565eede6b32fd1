"""Fit a study to the chosen model: drop the architecture keys that model does not have.

One study file serves every model it fits: `hparams_search=focal_depth` searches
`backbone.depth_multiplier` and `backbone.min_depth`, and its `experiment=demo` recipe
sets them; MobileNet and ResNet SSDs have them, EfficientDet does not. A key the model
lacks would fail every trial on its first line, so the sweeper drops it before the first
trial (searched keys leave the search, recipe values go back to the zoo config's) and
says so in one line. A key the user typed on the command line is never dropped: it is
refused, as in a single run. TF-free (the zoo config is read with protobuf).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tfod_sweep.errors import ConfigError
from tfod_sweep.registry import of_pipeline
from tfod_sweep.registry.keys import SECTIONS, describe, tunable_keys


@dataclass(frozen=True)
class FittedStudy:
    """What the study keeps.

    Attributes:
        dropped: searched parameters the model lacks (to leave the search space).
        reset: overrides every trial gets, putting recipe values of keys the model lacks
            back to null (the zoo config's), e.g. `backbone.min_depth=null`.
        enqueue: the enqueued points without the dropped keys (duplicates merged).
        note: the line that tells the user; None when nothing was dropped.
    """

    dropped: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()
    enqueue: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


#: Keys that change the feature extractor's tensor shapes (a checkpoint cannot be restored).
SHAPE_KEYS = ("backbone.depth_multiplier", "backbone.min_depth")


def _key_of(argument: str) -> str:
    return argument.split("=", 1)[0].lstrip("+~")


def fit_study(config: Mapping[str, Any], searched: Sequence[str],
              enqueue: Sequence[Mapping[str, Any]], arguments: Sequence[str]) -> FittedStudy:
    """Drop the `loss.*`/`backbone.*`/`anchors.*` keys the configured model does not have.

    Args:
        config: the composed job config (`model.zoo_config` names the model's zoo file).
        searched: the names of the searched parameters.
        enqueue: the study's enqueued points.
        arguments: the command-line overrides (their keys are the user's own choice).

    Returns:
        Nothing dropped when the config has no model (another Hydra app) or the study
        searches the model itself (each trial then has its own keys).

    Raises:
        ConfigError: the command line sets a key the model does not have.
    """
    points = [dict(point) for point in enqueue]
    model = config.get("model")
    if not isinstance(model, Mapping) or not model.get("zoo_config") or "model" in searched:
        return FittedStudy(enqueue=points)
    from tfod_sweep.zoo import load_zoo_config  # protobuf only

    pipeline = load_zoo_config(str(model["zoo_config"]))
    tunable = tunable_keys(pipeline)
    arch = of_pipeline(pipeline)
    owner = (f"model={model.get('name')} "
             f"({describe(arch, getattr(pipeline.model, arch.name))})")
    typed = {_key_of(argument) for argument in arguments}
    # A checkpoint to start from fixes the feature extractor's shapes: keys that resize it
    # would fail every trial at restore, so a fine-tuning study neither searches nor sets them.
    train = config.get("train") or {}
    if train.get("pretrained") or train.get("fine_tune_checkpoint"):
        tunable = [name for name in tunable if name not in SHAPE_KEYS]
        owner += " fine-tuned from a checkpoint of its zoo shapes"
    dropped = tuple(name for name in searched
                    if name.split(".", 1)[0] in SECTIONS and name not in tunable)
    reset: list[str] = []  # recipe values, searched or not, go back to null
    for section in SECTIONS:
        for key, value in (config.get(section) or {}).items():
            name = f"{section}.{key}"
            if key == "name" or value is None or name in tunable:
                continue
            if name in typed and name not in dropped:
                raise ConfigError(f"{name}={value} does not apply to {owner} (its keys: "
                                  f"{', '.join(tunable) or 'none'})")
            reset.append(name)
    if not dropped and not reset:
        return FittedStudy(enqueue=points)
    kept: list[dict[str, Any]] = []
    for point in points:
        trimmed = {key: value for key, value in point.items() if key not in dropped}
        if trimmed not in kept:
            kept.append(trimmed)
    recipe = [name for name in reset if name not in dropped]
    parts = [f"not searching {', '.join(dropped)}"] if dropped else []
    parts += [f"not setting {', '.join(recipe)} (the zoo config's values stay)"] if recipe else []
    searching = [name for name in searched if name not in dropped]
    note = (f"study: {' and '.join(parts)}: {owner} does not have them (its keys: "
            f"{', '.join(tunable) or 'none'}); searching {', '.join(searching) or 'nothing'}")
    return FittedStudy(dropped=dropped, reset=tuple(f"{name}=null" for name in reset),
                       enqueue=kept, note=note)
