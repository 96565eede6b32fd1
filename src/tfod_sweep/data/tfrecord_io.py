"""Sharded TFRecord files: naming, writing, and reading with record-exact errors."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Iterator, Sequence

from tfod_sweep.data.records import ImageRecord, serialize_record
from tfod_sweep.errors import DataError
from tfod_sweep.tf_logging import import_tensorflow

_GLOB_CHARS = frozenset("*?[")


def shard_name(split: str, index: int, num_shards: int) -> str:
    """Name one shard the way the OD API tools do (``train-00000-of-00002.tfrecord``)."""
    return f"{split}-{index:05d}-of-{num_shards:05d}.tfrecord"


def shard_glob(split: str, num_shards: int) -> str:
    """Glob matching exactly the shards of one split, for ``input_path`` in a pipeline."""
    return f"{split}-?????-of-{num_shards:05d}.tfrecord"


def write_shards(
    records: Iterable[ImageRecord], directory: str, split: str, num_shards: int
) -> list[str]:
    """Write records round-robin into ``num_shards`` files and return their paths.

    Round-robin keeps shards balanced without knowing the total in advance.
    """
    tf = import_tensorflow(verbose=False)

    if num_shards < 1:
        raise DataError(f"{directory}: {split} needs at least one shard, got {num_shards}")
    paths = [os.path.join(directory, shard_name(split, i, num_shards)) for i in range(num_shards)]
    writers = [tf.io.TFRecordWriter(p) for p in paths]
    try:
        for index, record in enumerate(records):
            writers[index % num_shards].write(serialize_record(record))
    finally:
        for writer in writers:
            writer.close()
    return paths


def is_glob(pattern: str) -> bool:
    """True if ``pattern`` has shell wildcards, so it must be expanded, not opened."""
    return any(ch in pattern for ch in _GLOB_CHARS)


def expand_paths(patterns: str | Sequence[str], what: str = "dataset") -> list[str]:
    """Expand files/globs to existing files; DataError names the first that matches nothing."""
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns:
        raise DataError(f"no {what} files given")
    found: list[str] = []
    for pattern in patterns:
        pattern = os.path.expanduser(os.fspath(pattern))
        if is_glob(pattern):
            matches = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
            if not matches:
                raise DataError(f"{pattern}: {what} glob matches no files")
            found.extend(matches)
        elif os.path.isfile(pattern):
            found.append(pattern)
        else:
            raise DataError(f"{pattern}: {what} file does not exist")
    return found


def read_serialized(path: str) -> Iterator[bytes]:
    """Yield serialized records; a corrupt or truncated file raises DataError with its index."""
    tf = import_tensorflow(verbose=False)

    index = 0
    iterator = iter(tf.data.TFRecordDataset(path).as_numpy_iterator())
    while True:
        try:
            data = next(iterator)
        except StopIteration:
            return
        except tf.errors.OpError as exc:
            raise DataError(
                f"{path}: record {index}: corrupt or truncated TFRecord ({_reason(exc)})"
            ) from None
        yield data
        index += 1


def _reason(exc: Exception) -> str:
    """The useful part of a TensorFlow read error, without graph-node noise."""
    text = str(getattr(exc, "message", "") or exc)
    found = re.search(r"(corrupted|truncated) record at (\d+)", text)
    if found:
        return f"{found.group(1)} record at byte {found.group(2)}"
    text = re.sub(r"\{\{.*?\}\}\s*|\s*\[Op:.*$", "", text.splitlines()[0] if text else "")
    return text or type(exc).__name__
