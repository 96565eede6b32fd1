"""Our trainer computes what the OD API's own training loop computes, step for step.

The trainer runs model_lib_v2's train step in a loop of its own (checkpoints, evaluations,
pruning reports between steps). That loop must not change the numbers: trained
deterministically from the same pipeline.config and seed, both log the same total loss. The
OD API's loop runs one step per call here and ours its default train.steps_per_call, so this
also holds our several-steps-per-call loop to the one-step numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.long]  # ~2 min: the OD API's loop traces slowly


def test_our_loop_logs_the_od_api_loops_losses(tiny_run, tmp_path):
    run_dir, _ = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "tests.training.od_api_train_loop", str(run_dir / "pipeline.config"),
         str(tmp_path / "od_api"), str(metrics["steps"]), str(metrics["seed"]), str(run_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = json.loads(result.stdout.strip().splitlines()[-1])
    ours, od_api = losses["ours"], losses["od_api"]
    # Ours logs every 10 steps and the last; the OD API's loop logs every step.
    assert set(ours) == {"10", str(metrics["steps"])}
    assert len(od_api) == metrics["steps"]
    for step, loss in ours.items():
        assert od_api[step] == pytest.approx(loss, rel=1e-6, abs=1e-7), step
