"""The report folder of plain runs (no study), read from their metrics.json files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from sweep.report import main
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS
from tfod_sweep.run_metrics import RunMetrics

AP50 = COCO_METRICS[1]


def _run(run_dir: Path, curve: list[float], seed: int, gamma: float) -> Path:
    """A finished run whose mAP@.50 was `curve` at steps 100, 200, ..."""
    evaluations = [{"step": 100 * (i + 1), **{name: value for name in COCO_METRICS}}
                   for i, value in enumerate(curve)]
    final = {**evaluations[-1], **{name: 0.3 for name in LOSS_COMPONENTS["ssd"]}}
    final.pop("step")
    run_dir.mkdir(parents=True)
    RunMetrics(
        name="ssd320", arch="ssd", num_classes=2, batch_size=8, resolution=[128, 128],
        optimized_metric=AP50, seed=seed, steps=100 * len(curve), train_seconds=90.0,
        config={"loss": {"gamma": gamma}, "train": {"seed": seed}},
        evaluations=evaluations, final=final,
        per_class={"circle": {"AP@.50IOU": curve[-1] + 0.1, "AP": 0.4},
                   "square": {"AP@.50IOU": curve[-1] - 0.1, "AP": 0.2}},
    ).write(run_dir)
    return run_dir


def test_runs_get_curves_and_the_best_runs_evidence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(tmp_path / "gamma2_seed0", [0.2, 0.4], seed=0, gamma=2.0)
    _run(tmp_path / "gamma2_seed1", [0.3, 0.6], seed=1, gamma=2.0)
    best = _run(tmp_path / "gamma3_seed0", [0.1, 0.7], seed=0, gamma=3.0)
    Image.new("RGB", (200, 100), (10, 120, 10)).save(best / "preview.png")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "report"
    assert {p.name for p in folder.glob("*.png")} == {
        "curves.png", "per_class_ap50.png", "best_preview.png"}
    for png in folder.glob("*.png"):
        with Image.open(png) as image:
            assert image.format == "PNG"
    markdown = (folder / "report.md").read_text()
    assert "| gamma2_seed0 (seeds 0, 1) | 0.500 ± 0.141 (n=2) |" in markdown
    assert "| gamma3_seed0 | 0.700 |" in markdown
    assert "per-class AP@.50 of gamma3_seed0" in markdown  # the best mean, not the first run
    page = (folder / "index.html").read_text()
    assert set(re.findall(r'<img src="([^"]+)"', page)) == {
        "curves.png", "per_class_ap50.png", "best_preview.png"}
    # stdout keeps the text tables and says where the folder is
    assert "| gamma2_seed0 (seeds 0, 1) | 0.500 ± 0.141 (n=2) |" in out
    assert "](" not in out and out.rstrip().endswith("(report.md, 3 PNG files)")

    (best / "preview.png").unlink()  # a second report does not keep a stale picture
    assert main([str(tmp_path), "--out", str(folder)]) == 0
    assert not (folder / "best_preview.png").exists()
    assert "preview of gamma3_seed0: no preview.png in" in (folder / "report.md").read_text()
