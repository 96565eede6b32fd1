"""The size of TensorFlow's thread pools in this process, as a run records it.

The intra-op count changes how an op splits its sums, so it changes the float results:
a 200-step demo run on 1 thread and on 2 (this machine's default) gave losses that
differ from the third digit. A run is therefore repeatable on the same thread count,
which is why metrics.json records it, and why a study with ``n_jobs`` workers (each on
``cores // n_jobs`` threads) differs from the same study with one.

TensorFlow is imported only by ``pool_sizes``: the sweeper reads the rest.
"""

from __future__ import annotations

import os

#: The variables TensorFlow reads when it creates its pools (0 or unset: its default);
#: the sweeper plugin sets the same two names for its workers (``_workers``).
INTRA_OP, INTER_OP = "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"


def cores() -> int:
    """Logical cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _size(configured: int, variable: str) -> int:
    if configured > 0:
        return configured
    try:
        from_env = int(os.environ.get(variable, "0"))
    except ValueError:
        from_env = 0
    return from_env if from_env > 0 else cores()


def pool_sizes() -> dict[str, int]:
    """``{"intra_op": n, "inter_op": m}``: set in tf.config, else by the variables, else cores."""
    import tensorflow as tf

    return {
        "intra_op": _size(tf.config.threading.get_intra_op_parallelism_threads(), INTRA_OP),
        "inter_op": _size(tf.config.threading.get_inter_op_parallelism_threads(), INTER_OP),
    }
