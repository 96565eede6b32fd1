"""Trials that share a process (Hydra's basic launcher, a study worker) free each other's graphs.

Each trial traces its own train step (a FuncGraph of ~7,000 ops, twice). One that outlives
its trial keeps the whole trial's model, optimizer and datasets with it: ~100 MiB a trial
(benchmarks/memory.py). The trials run in this process, as the launcher runs them.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from tfod_sweep.runner import run_experiment

pytestmark = pytest.mark.slow

# The smallest real run: two steps, one evaluation on two images, no latency timing.
TINY = (
    "experiment=demo", "train.batch_size=2", "train.num_steps=2", "train.eval_every=2",
    "train.checkpoint_every=2", "eval.max_images=2", "eval.latency_images=0",
    "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
)


def _train_step_graphs() -> list[Any]:
    """Live FuncGraphs of `loop.make_train_steps`' function (a tf.function names them so)."""
    from tensorflow.python.framework.func_graph import FuncGraph

    return [o for o in gc.get_objects() if isinstance(o, FuncGraph) and o.name == "stacked_steps"]


def test_a_finished_trial_leaves_no_train_step_graph_behind(compose_cfg, tmp_path, monkeypatch):
    from tfod_sweep.training import loop

    traced: list[weakref.ref] = []
    make_train_steps: Callable = loop.make_train_steps

    def recording(*args: Any, **kwargs: Any) -> Callable:
        steps = make_train_steps(*args, **kwargs)

        def first_call_records(iterator: Any, count: int) -> Any:
            losses = steps(iterator, count)
            if not traced:  # the step's graphs exist from its first call on
                traced.extend(weakref.ref(graph) for graph in _train_step_graphs())
            return losses

        return first_call_records

    monkeypatch.setattr(loop, "make_train_steps", recording)
    counts = []
    for seed in (0, 1):
        run_experiment(compose_cfg(*TINY, f"train.seed={seed}"), tmp_path / f"trial{seed}")
        gc.collect()
        counts.append(len(_train_step_graphs()))
        if seed == 0:
            assert traced, "the first trial traced no train step (was it renamed?)"
    assert [ref for ref in traced if ref() is not None] == []
    assert counts == [0, 0]  # nothing else keeps a finished trial's graphs either
