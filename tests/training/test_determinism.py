"""`train.seed` makes a run repeatable: same command, same numbers; another seed, others."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import REPO, run_sweep
from tests.training.conftest import TINY
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS

pytestmark = pytest.mark.slow

# Every number the issue asks to repeat: the 12 COCO metrics and the train/eval losses.
_COMPARED = (*COCO_METRICS, *LOSS_COMPONENTS["ssd"])


def _train(outputs: Path, seed: int = 0) -> dict:
    """The command of the `tiny_run` fixture (train.seed defaults to 0), with `seed`."""
    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY, f"train.seed={seed}",
                       f"paths.outputs={outputs}", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = outputs.glob("runs/*/metrics.json")
    return json.loads(path.read_text())


def _numbers(metrics: dict) -> dict[str, float]:
    values = {f"final/{k}": metrics["final"][k] for k in _COMPARED}
    values.update({f"train/{k}": v for k, v in metrics["final_train_losses"].items()})
    for evaluation in metrics["evaluations"]:
        values.update({f"step{evaluation['step']}/{k}": evaluation[k] for k in _COMPARED})
    return values


@pytest.fixture(scope="module")
def first_run(tiny_run) -> dict:
    run_dir, _ = tiny_run
    return json.loads((run_dir / "metrics.json").read_text())


def test_same_command_twice_gives_the_same_metrics(first_run, tmp_path):
    again = _train(tmp_path)
    first, second = _numbers(first_run), _numbers(again)
    assert first.keys() == second.keys()
    differing = {k: (first[k], second[k]) for k in first
                 if not math.isclose(first[k], second[k], rel_tol=0, abs_tol=1e-6)}
    assert not differing


def test_another_seed_gives_other_losses(first_run, tmp_path):
    other = _train(tmp_path, seed=1)
    first, second = first_run["final_train_losses"], other["final_train_losses"]
    assert first.keys() == second.keys()
    assert any(abs(first[k] - second[k]) > 1e-4 for k in first)
