"""metrics.json records the thread pools TensorFlow really has, however they were set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tfod_sweep.thread_pools import cores

_PRINT = ("import json; from tfod_sweep.thread_pools import pool_sizes; "
          "print(json.dumps(pool_sizes()))")


def _pool_sizes(code: str, **env: str) -> dict[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_environment_sets_the_pools() -> None:
    sizes = _pool_sizes(_PRINT, TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="3")
    assert sizes == {"intra_op": 1, "inter_op": 3}


def test_tf_config_wins_and_unset_means_one_per_core() -> None:
    code = ("import tensorflow as tf; tf.config.threading.set_intra_op_parallelism_threads(5)\n"
            + _PRINT)
    assert _pool_sizes(code, TF_NUM_INTRAOP_THREADS="1") == {"intra_op": 5, "inter_op": cores()}
