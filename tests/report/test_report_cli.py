"""`python -m sweep.report` rebuilds the seed tables from metrics.json files (TF-free)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS


def _write_run(path: Path, arch: str, value: float, steps: int) -> None:
    path.mkdir(parents=True)
    final = {name: value for name in COCO_METRICS}
    final.update({name: 0.5 for name in LOSS_COMPONENTS[arch]})
    (path / "metrics.json").write_text(json.dumps({
        "arch": arch, "steps": steps, "num_classes": 21, "train_seconds": 3723.0,
        "final": final}))


def test_report_orders_trials_and_mixes_architectures(tmp_path):
    for number in (10, 2):
        _write_run(tmp_path / f"trial_{number}", "ssd", number / 100, 1000)
    _write_run(tmp_path / "trial_3", "center_net", 0.3, 4200)
    (tmp_path / "trial_4").mkdir()  # a pruned trial without metrics.json is skipped
    result = subprocess.run([sys.executable, "-m", "sweep.report", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    ap_rows = [line for line in result.stdout.split("**Average Recall**")[0].splitlines()
               if line.startswith("| trial_")]
    assert [row.split(" | ")[0] for row in ap_rows] == ["| trial_2", "| trial_3", "| trial_10"]
    assert "| trial_2 | 0.020 | 0.020 |" in ap_rows[0]
    assert "1h 2m 3s" in ap_rows[0]
    assert "loss_box_offset = 0.500" in result.stdout  # the CenterNet row, as in the seed doc


def test_report_without_runs_is_one_line_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sweep.report", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: no finished run (metrics.json with a final evaluation) found")
