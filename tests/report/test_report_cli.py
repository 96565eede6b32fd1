"""`python -m sweep.report` rebuilds the logbook tables from metrics.json files (TF-free)."""

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
        "name": "ssd320", "arch": arch, "steps": steps, "num_classes": 21, "batch_size": 8,
        "resolution": [320, 320], "optimized_metric": COCO_METRICS[1],
        "train_seconds": 3723.0, "final": final}))


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
    assert "loss_box_offset = 0.500" in result.stdout  # the CenterNet row, as in the logbook


def test_report_without_runs_is_one_line_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sweep.report", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: no finished run (metrics.json with a final evaluation) found")


def _write_seed_run(path: Path, value: float, seed: int, gamma: float = 2.0,
                    trial: dict | None = None) -> None:
    path.mkdir(parents=True)
    final = {name: value for name in COCO_METRICS}
    final.update({name: 0.5 for name in LOSS_COMPONENTS["ssd"]})
    (path / "metrics.json").write_text(json.dumps({
        "name": "ssd320", "arch": "ssd", "steps": 100, "num_classes": 21, "batch_size": 8,
        "resolution": [128, 128], "train_seconds": 60.0, "seed": seed,
        "optimized_metric": COCO_METRICS[1], "trial": trial,
        "config": {"loss": {"gamma": gamma}, "train": {"seed": seed, "num_steps": 100}},
        "final": final}))


def _report(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sweep.report", *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_runs_differing_only_in_seed_share_a_row_with_mean_and_std(tmp_path):
    for seed, value in enumerate((0.40, 0.50, 0.60)):
        _write_seed_run(tmp_path / str(seed), value, seed)
    _write_seed_run(tmp_path / "3", 0.30, 0, gamma=3.0)
    result = _report(tmp_path)
    assert result.returncode == 0, result.stderr
    ap_table = result.stdout.split("**Average Recall**")[0]
    rows = [line for line in ap_table.splitlines() if line.startswith("| 0") or
            line.startswith("| 3")]
    assert len(rows) == 2
    assert rows[0].startswith("| 0 (seeds 0, 1, 2) | 0.500 ± 0.100 (n=3) |")
    assert rows[1].startswith("| 3 | 0.300 |")
    assert "Best vs baseline" not in result.stdout  # not a study


def _study(tmp_path: Path, best: tuple[float, ...], baseline: tuple[float, ...]) -> Path:
    for number, values, enqueued in ((0, baseline, True), (1, best, False)):
        for seed, value in enumerate(values):
            trial = {"study": "s", "number": number, "enqueued": enqueued, "params": {}}
            where = tmp_path / f"trial_{number}" / f"seed_{seed}"
            _write_seed_run(where, value, seed, gamma=2.0 + number, trial=trial)
    return tmp_path


def test_study_report_says_when_the_best_beats_the_baseline_beyond_noise(tmp_path):
    result = _report(_study(tmp_path, best=(0.50, 0.52, 0.48), baseline=(0.30, 0.31, 0.29)))
    assert result.returncode == 0, result.stderr
    assert "| trial_1 (seeds 0, 1, 2) |" in result.stdout
    verdict = result.stdout.split("**Best vs baseline**")[1]
    assert "best trial 1: 0.500 ± 0.020 (n=3) vs baseline trial 0: 0.300 ± 0.010 (n=3)" in verdict
    assert "difference +0.200" in verdict
    assert "the difference exceeds 2 x standard error" in verdict
    assert "Welch" in verdict


def test_study_report_says_when_the_gap_is_within_noise(tmp_path):
    result = _report(_study(tmp_path, best=(0.50, 0.30, 0.40), baseline=(0.35, 0.45, 0.25)))
    assert "does NOT exceed 2 x standard error" in result.stdout


def test_study_report_with_one_seed_says_the_comparison_is_unknown(tmp_path):
    result = _report(_study(tmp_path, best=(0.50,), baseline=(0.30,)))
    verdict = result.stdout.split("**Best vs baseline**")[1]
    assert "noise: unknown, one seed per trial" in verdict


def test_a_file_that_is_not_our_record_is_one_line_error(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"final": {}}))
    result = _report(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "not a tfod-sweep metrics.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
