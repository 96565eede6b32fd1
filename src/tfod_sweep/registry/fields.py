"""Dotted paths into the OD API's model messages, read and written without ever switching a oneof.

Protobuf creates a sub-message on first access, so `getattr(ssd.loss.classification_loss,
"weighted_sigmoid_focal")` on a zoo config with another loss would quietly replace that
loss. Every step here checks the oneof the field belongs to first. A `*` step means "the
member that is set" of the message's only oneof (e.g. whichever box predictor the zoo uses).
Protobuf only: no TensorFlow.
"""

from __future__ import annotations

from typing import Any

from tfod_sweep.errors import ConfigError


def _child(message: Any, name: str, path: str) -> Any:
    descriptor = message.DESCRIPTOR
    if name == "*":
        (group,) = descriptor.oneofs
        found = message.WhichOneof(group.name)
        if found is None:
            raise ConfigError(f"{path}: the zoo config sets no {group.name}")
        return getattr(message, found)
    field = descriptor.fields_by_name.get(name)
    if field is None:
        raise ConfigError(f"{path}: {descriptor.name} has no field {name!r}")
    group = field.containing_oneof
    if group is not None:
        found = message.WhichOneof(group.name)
        if found != name:
            raise ConfigError(f"{path}: the zoo config uses {found!r} where {name!r} was expected")
    return getattr(message, name)


def _parent(message: Any, path: str) -> tuple[Any, str]:
    *steps, leaf = path.split(".")
    for step in steps:
        message = _child(message, step, path)
    return message, leaf


def get_field(message: Any, path: str) -> Any:
    """The value at `path` below `message` (the proto default when unset)."""
    parent, leaf = _parent(message, path)
    return _child(parent, leaf, path)


def set_field(message: Any, path: str, value: Any) -> None:
    """Set the scalar at `path` below `message`, refusing to switch any oneof on the way."""
    parent, leaf = _parent(message, path)
    _child(parent, leaf, path)  # the leaf's own oneof, if any
    setattr(parent, leaf, value)

