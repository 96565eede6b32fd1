"""Read and write OD API ``label_map.pbtxt`` files without importing TensorFlow.

The OD API's own ``label_map_util`` imports TensorFlow; composing a config only
needs the class names, so we parse the proto text ourselves with protobuf.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from google.protobuf import text_format
from object_detection.protos import string_int_label_map_pb2

from tfod_sweep.errors import DataError


def read_label_map(path: str | os.PathLike[str]) -> dict[int, str]:
    """Return ``{id: name}`` sorted by id, so callers can index classes 1..N.

    Raises DataError for a missing, unparsable or empty label map, ids < 1,
    and duplicate ids or names, because each would silently corrupt training.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read label map ({exc.strerror or exc})") from None
    proto = string_int_label_map_pb2.StringIntLabelMap()
    try:
        text_format.Parse(text, proto)
    except text_format.ParseError as exc:
        raise DataError(f"{path}: not a valid label map ({exc})") from None
    if not proto.item:
        raise DataError(f"{path}: label map is empty (no 'item {{ id: .. name: .. }}' entries)")
    names: dict[int, str] = {}
    for item in proto.item:
        name = item.name or item.display_name
        if item.id < 1:
            raise DataError(f"{path}: label map id {item.id} ({name!r}) must be >= 1")
        if not name:
            raise DataError(f"{path}: label map id {item.id} has no name")
        if item.id in names:
            raise DataError(f"{path}: label map id {item.id} appears twice")
        if name in names.values():
            raise DataError(f"{path}: label map name {name!r} appears twice")
        names[item.id] = name
    return dict(sorted(names.items()))


def contiguous_class_names(label_map: dict[int, str], path: str) -> list[str]:
    """Return names for ids 1..N, because the trainer's ``num_classes`` assumes no gaps."""
    expected = list(range(1, len(label_map) + 1))
    if list(label_map) != expected:
        missing = sorted(set(expected) - set(label_map))
        raise DataError(
            f"{path}: label map ids must be 1..{len(label_map)} without gaps "
            f"(missing {missing[:5]}); re-map them, e.g. with 'python -m sweep.data convert'"
        )
    return [label_map[i] for i in expected]


def label_map_text(class_names: Sequence[str]) -> str:
    """Render names as label map text with ids 1..N (deterministic, for cache bytes)."""
    proto = string_int_label_map_pb2.StringIntLabelMap()
    for index, name in enumerate(class_names, start=1):
        item = proto.item.add()
        item.id = index
        item.name = name
        item.display_name = name
    return text_format.MessageToString(proto)


def write_label_map(path: str | os.PathLike[str], class_names: Sequence[str]) -> None:
    """Write ``class_names`` as ids 1..N; refuses an empty list (an empty map trains nothing)."""
    if not class_names:
        raise DataError(f"{os.fspath(path)}: refusing to write an empty label map")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(label_map_text(class_names))
