"""Read every tensor of a checkpoint before exporting, so a corrupt one is one error.

The OD API's exporters restore with `expect_partial()`: a truncated or damaged file
would surface deep inside tracing, or (a missing variable) not at all. TensorFlow's
checkpoint reader checks each tensor's CRC32C as it reads it.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from tfod_sweep.errors import SweepError, one_line


def verify(prefix: Path) -> int:
    """Read the whole checkpoint at `prefix`; returns how many tensors it holds.

    Raises:
        SweepError: the index or a data shard cannot be read, or a tensor fails its check.
    """
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        names = list(reader.get_variable_to_shape_map())
        for name in names:
            reader.get_tensor(name)
    except Exception as error:  # DataLossError, OutOfRangeError, NotFoundError, ...
        raise SweepError(f"corrupt checkpoint {prefix}: {one_line(error, 300)}") from None
    if not names:
        raise SweepError(f"corrupt checkpoint {prefix}: it holds no tensors")
    return len(names)
