"""Sums of several tensors in one fixed order, so that a step's gradients repeat bit for bit.

TensorFlow's CPU `AddN` kernel accumulates into an input buffer it may reuse, and moves that
input to the front of the sum. Which buffer is free depends on how the inter-op threads
happened to run, so the order of the sum, and with it the rounding, changes from run to run,
even with op determinism on. The gradient of a weight used more than once is such a sum:
SSD's weight-shared box predictor applies its tower to every FPN level, and at batch 12
those gradients differed between two runs of the same command (benchmarks/README.md).

A chain of two-input adds cannot differ that way: `a + b` is bitwise equal to `b + a`, so it
does not matter which buffer an add reuses. Grappler's arithmetic optimizer would fold such a
chain back into one `AddN`, so it is switched off with them. Running the inter-op pool on one
thread would also fix the order, but cost 8-17% of throughput at the demo size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf
from tensorflow.python.ops import gen_math_ops

_add_n = gen_math_ops.add_n


def ordered_add_n(inputs: Sequence[Any], name: str | None = None) -> Any:
    """`AddN`'s sum, as ((x0 + x1) + x2) + ...: the order AddN uses when it reuses no input."""
    tensors = list(inputs)
    floating = all(tf.is_tensor(t) and t.dtype.is_floating for t in tensors)
    if len(tensors) < 2 or not floating:
        return _add_n(inputs, name=name)  # integers and variants: no rounding to fix
    total = tensors[0]
    for tensor in tensors[1:-1]:
        total = gen_math_ops.add_v2(total, tensor)
    return gen_math_ops.add_v2(total, tensors[-1], name=name)


def use_ordered_sums() -> None:
    """Build every later `tf.add_n`, and the gradient tape's sums, as ordered chains.

    Both reach the kernel through `gen_math_ops.add_n`, looked up at call time, so this
    covers the OD API's loss sums and the aggregation of a shared weight's gradients.
    Graphs traced before the call keep their `AddN` ops.
    """
    gen_math_ops.add_n = ordered_add_n
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
