"""Several train steps per tf.function call give the losses of one step per call.

The faster loop (train.steps_per_call) runs the same step in a tf.while_loop and reads the
losses once per call; evaluations and checkpoints must still land on their exact steps.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, run_sweep
from tests.training.conftest import TINY, run_dir_of
from tests.training.test_determinism import _numbers
from tfod_sweep.training.loop import LoopSettings, _steps_in_next_call


def _calls(settings: LoopSettings, start: int = 0) -> list[int]:
    """The step each call ends on, saving at every checkpoint boundary as the loop does."""
    step, last_saved, ends = start, start, []
    while step < settings.num_steps:
        step += _steps_in_next_call(step, last_saved, settings)
        if step - last_saved >= settings.checkpoint_every or step % settings.eval_every == 0:
            last_saved = step
        ends.append(step)
    return ends


def test_calls_stop_at_every_eval_checkpoint_and_the_end():
    settings = LoopSettings(num_steps=23, batch_size=1, eval_every=10, checkpoint_every=7,
                            steps_per_call=4)
    assert _calls(settings) == [4, 7, 8, 10, 12, 16, 17, 20, 23]


def test_one_step_per_call_is_every_step():
    settings = LoopSettings(num_steps=5, batch_size=1, eval_every=2, checkpoint_every=3)
    assert _calls(settings) == [1, 2, 3, 4, 5]


def test_a_resumed_run_continues_from_its_step():
    settings = LoopSettings(num_steps=20, batch_size=1, eval_every=10, checkpoint_every=10,
                            steps_per_call=8)
    assert _calls(settings, start=5) == [8, 10, 16, 20]


@pytest.mark.slow
def test_the_default_calls_give_the_numbers_of_one_step_per_call(tiny_run, compose_cfg,
                                                                  tmp_path):
    """TINY (12 steps, evals at 6 and 12): tiny_run's default calls against single steps."""
    default = compose_cfg().train.steps_per_call
    assert default > 1  # else this compares the one-step loop with itself
    result = run_sweep(*TINY, "model=ssd320", "loss.gamma=2.25", "train.steps_per_call=1",
                       f"paths.outputs={tmp_path}", cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    several = _numbers(json.loads((tiny_run[0] / "metrics.json").read_text()))
    one = _numbers(json.loads((run_dir_of(tmp_path) / "metrics.json").read_text()))
    assert one.keys() == several.keys()
    assert {k: (one[k], several[k]) for k in one if one[k] != several[k]} == {}
    run_dir = run_dir_of(tmp_path)
    checkpoints = sorted(int(p.stem.split("-")[1]) for p in run_dir.glob("ckpt-*.index"))
    assert checkpoints[-2:] == [6, 12]
