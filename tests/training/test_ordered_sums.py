"""With determinism on, sums of several tensors are ordered chains of adds, not AddN.

AddN's order depends on which input buffer it may reuse, and so on thread timing; the
gradient of a weight used several times (SSD's shared box-predictor tower) is such a sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import permutations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.ops import gen_math_ops

from tfod_sweep.training import ordered_sums


@pytest.fixture
def ordered() -> Iterator[None]:
    """use_ordered_sums for one test; the process-wide settings come back afterwards."""
    add_n, options = gen_math_ops.add_n, tf.config.optimizer.get_experimental_options()
    ordered_sums.use_ordered_sums()
    yield
    gen_math_ops.add_n = add_n
    tf.config.optimizer.set_experimental_options(
        {"arithmetic_optimization": options.get("arithmetic_optimization", True)})


def _shared_weight_gradient() -> tuple[tf.Tensor, list[tf.Tensor], set[str]]:
    """The gradient of one weight applied to five inputs, each use's share, the op types."""
    rng = np.random.default_rng(0)
    weight = tf.Variable(rng.standard_normal((16, 8)).astype(np.float32))
    inputs = [tf.constant(rng.standard_normal((4, 16)).astype(np.float32)) for _ in range(5)]

    def loss_of(xs: list[tf.Tensor]) -> tf.Tensor:
        return tf.add_n([tf.reduce_sum(tf.tanh(tf.matmul(x, weight))) for x in xs])

    @tf.function
    def gradients() -> tuple[tf.Tensor, list[tf.Tensor]]:
        with tf.GradientTape(persistent=True) as tape:
            total = loss_of(inputs)
            parts = [tf.reduce_sum(tf.tanh(tf.matmul(x, weight))) for x in inputs]
        return tape.gradient(total, weight), [tape.gradient(p, weight) for p in parts]

    graph = gradients.get_concrete_function().graph
    total, parts = gradients()
    return total, parts, {op.type for op in graph.get_operations()}


def _chain(parts: list[tf.Tensor]) -> np.ndarray:
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total.numpy()


def test_a_shared_weights_gradient_is_a_chain_of_pairwise_adds(ordered):
    """No AddN left, and the value is ((g_a + g_b) + g_c) + ... in the tape's own order."""
    total, parts, op_types = _shared_weight_gradient()
    assert "AddN" not in op_types
    chains = [_chain([parts[i] for i in order]) for order in permutations(range(len(parts)))]
    assert any(np.array_equal(total.numpy(), chain) for chain in chains)


def test_without_it_the_gradient_is_one_addn():
    """The case the module exists for, so that the test above can fail."""
    assert gen_math_ops.add_n is not ordered_sums.ordered_add_n
    _, _, op_types = _shared_weight_gradient()
    assert "AddN" in op_types


def test_integer_sums_keep_addn(ordered):
    values = [tf.constant([1, 2]), tf.constant([3, 4]), tf.constant([5, 6])]
    assert tf.add_n(values).numpy().tolist() == [9, 12]
    graph = tf.function(lambda: tf.add_n(values)).get_concrete_function().graph
    assert "AddN" in {op.type for op in graph.get_operations()}


def test_grappler_may_not_fold_the_chain_back(ordered):
    assert tf.config.optimizer.get_experimental_options()["arithmetic_optimization"] is False
