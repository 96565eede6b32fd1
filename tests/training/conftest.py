"""The tiny real training run that several test modules read (one run per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, run_sweep

# Small but real: the zoo's SSD MobileNet v2 FPNLite at 128x128 on the embedded data.
TINY = (
    "resolution=128", "train.batch_size=4", "train.num_steps=12", "train.eval_every=6",
    "train.checkpoint_every=6", "eval.max_images=24", "dataset.synthetic.train_images=64",
    "dataset.synthetic.val_images=24",
)


def run_dir_of(outputs: Path) -> Path:
    (metrics,) = outputs.glob("runs/*/metrics.json")
    return metrics.parent


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    outputs = tmp_path_factory.mktemp("outputs")
    result = run_sweep("model=ssd320", "loss.gamma=2.25", *TINY, f"paths.outputs={outputs}",
                       cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir_of(outputs), result.stdout


