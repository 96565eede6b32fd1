"""Free a trial's traced graphs: drop the gradients `tf.custom_gradient` registered for them.

Inside a graph (every tf.function), `tf.custom_gradient` registers its gradient function
under a new name (`CustomGradient-N`) in TensorFlow's global gradient registry
(`ops.gradient_registry`) and never removes it. The function's closure holds the traced
tensors, so the registry keeps each such FuncGraph alive, and with it what the graph
captured: the trial's model and optimizer variables. Keras's (legacy) optimizer registers
one at every trace of the train step: it sums the gradients over replicas with
`ReplicaContext.all_reduce`, a custom gradient. In one process (Hydra's basic launcher, a
study worker) that kept ~100 MiB per trial of the demo (benchmarks/README.md, Memory).
EfficientDet's swish activations are custom gradients too, in every graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: How `custom_gradient._graph_mode_decorator` names what it registers (TF 2.15).
PREFIX = "CustomGradient-"


@contextmanager
def released_custom_gradients() -> Iterator[None]:
    """Unregister, on exit, the custom gradients registered while the block ran.

    They serve only to differentiate through the graphs traced in the block, and no one
    does once its trial has ended. Other names (gradients of op types, registered when a
    module is first imported) stay. One trial at a time per process, as every launcher
    runs them (`n_jobs > 1` starts processes): a block would also drop entries another
    thread's trial registered meanwhile.
    """
    from tensorflow.python.framework import ops

    # The registry has no public way to unregister; its entries are a plain dict.
    entries: dict[str, object] = ops.gradient_registry._registry  # noqa: SLF001
    before = set(entries)
    try:
        yield
    finally:
        for name in set(entries) - before:  # a snapshot: the dict may change meanwhile
            if name.startswith(PREFIX):
                entries.pop(name, None)
