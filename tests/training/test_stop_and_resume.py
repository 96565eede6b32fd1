"""A race's rungs on the real trainer: stop early under the full schedule, then continue.

``train.stop_at`` must not change training up to the stop (the schedule still runs to
``num_steps``), and ``train.resume_from`` must carry the stopped run's checkpoint, curve
and train time into the run that continues it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, TINY, run_dir_of, run_sweep

METRIC = "DetectionBoxes_Precision/mAP@.50IOU"


def _metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.slow
def test_a_stopped_run_is_the_full_run_up_to_its_stop_and_continues(tiny_run, tmp_path):
    full = _metrics(tiny_run[0])
    # One outputs folder, as in a study: both runs read the same generated data.
    outputs = tmp_path / "outputs"
    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY, "train.stop_at=6",
                       "eval.latency_images=0", f"paths.outputs={outputs}", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    stopped_dir = run_dir_of(outputs)
    stopped = _metrics(stopped_dir)
    assert stopped["steps"] == 6
    steps = sorted(int(p.name[5:-6]) for p in stopped_dir.glob("ckpt-*.index"))
    assert steps[-1] == 6  # saved at the stop, nothing beyond it
    # Up to its stop it is the full run: same schedule, same seed, same numbers.
    full_at_6 = next(e for e in full["evaluations"] if e["step"] == 6)
    assert stopped["evaluations"][-1][METRIC] == full_at_6[METRIC]
    assert stopped["final"][METRIC] == full_at_6[METRIC]

    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY,
                       f"train.resume_from='{stopped_dir}'", "eval.latency_images=0",
                       f"paths.outputs={outputs}", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "continuing the checkpoint of" in result.stdout
    assert "resuming from" in result.stdout and "(step 6)" in result.stdout
    (continued_dir,) = [p.parent for p in outputs.glob("runs/*/metrics.json")
                        if p.parent != stopped_dir]
    continued = _metrics(continued_dir)
    assert continued["steps"] == 12
    assert [e["step"] for e in continued["evaluations"]] == [6, 12]
    assert continued["evaluations"][0] == stopped["evaluations"][-1]
    assert continued["train_seconds"] > stopped["train_seconds"]
    assert (continued_dir / "ckpt-12.index").is_file()
    assert (stopped_dir / "ckpt-6.index").is_file()  # the stopped run is left as it was


@pytest.mark.slow
def test_continuing_a_run_of_another_seed_is_one_line(tiny_run, tmp_path):
    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY, "train.seed=5",
                       f"train.resume_from='{tiny_run[0]}'", f"paths.outputs={tmp_path}",
                       cwd=REPO)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: train.resume_from='{tiny_run[0]}' trained with seed 0, not train.seed=5")


def test_a_stop_beyond_the_schedule_is_one_line(tmp_path):
    result = run_sweep("train.num_steps=10", "train.stop_at=11", "dry_run=true",
                       f"paths.outputs={tmp_path}", cwd=REPO)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "error: train.stop_at=11 is out of range: allowed 1 to train.num_steps=10, or null")


def test_continuing_a_folder_without_a_checkpoint_is_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_sweep("train.num_steps=4", f"train.resume_from={empty}",
                       f"paths.outputs={tmp_path / 'out'}", cwd=REPO)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: train.resume_from='{empty}' holds no checkpoint (ckpt-*.index)")


def test_continuing_a_folder_this_machine_lacks_names_the_shared_outputs(tmp_path):
    # A race's promoted run on a machine that cannot see the rung's run folder.
    absent = tmp_path / "elsewhere" / "trial_5"
    result = run_sweep("train.num_steps=4", f"train.resume_from={absent}",
                       f"paths.outputs={tmp_path / 'out'}", cwd=REPO)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: train.resume_from='{absent}' does not exist on this machine (a race on "
        "several machines needs paths.outputs on a folder every worker shares)")
