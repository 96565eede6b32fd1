"""What evaluation costs a run, and whether faster-coco-eval could score it faster.

Two figures for issue 13's evaluation part, from finished runs (no training):

1. From each run's metrics.json `phase_seconds`: seconds per 100 val images for detection
   (the model over the val set) and for COCO scoring, and their share of the run's phases.
2. Scoring alone, side by side:
   the project's scorer (`tfod_sweep.coco_metrics`, faster-coco-eval's `COCOeval_faster`)
   against plain pycocotools on the same ground truth and detections, run
   alternately `--repeats` times. It reports the median seconds of each, their ratio, and
   the largest difference over the 12 COCO metrics.

Usage:
    python benchmarks/eval_scoring.py RUN_DIR --gt VAL_COCO_GT_JSON [--repeats 5]

The ground truth of the embedded shapes is `val_coco_gt.json` in the dataset's folder
under `outputs/data/` (the one whose dataset.json matches the run's `dataset.synthetic`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from tfod_sweep.coco_metrics import coco_from_dict, score_detections
from tfod_sweep.metric_names import COCO_METRICS


def _pycocotools(gt: dict[str, Any], detections: list[dict[str, Any]]) -> list[float]:
    """Plain pycocotools' COCOeval: the reference."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = gt
        truth.createIndex()
        evaluator = COCOeval(truth, truth.loadRes([dict(d) for d in detections]), iouType="bbox")
        evaluator.params.imgIds = sorted(truth.getImgIds())
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return [float(v) for v in np.asarray(evaluator.stats)]


def _faster(gt: dict[str, Any], detections: list[dict[str, Any]]) -> list[float]:
    """The project's scorer (`tfod_sweep.coco_metrics`, faster-coco-eval's COCOeval_faster)."""
    metrics, _ = score_detections(coco_from_dict(gt), detections)
    return [metrics[name] for name in COCO_METRICS]


def _timed(score: Any, gt: dict[str, Any], detections: list[dict[str, Any]]
           ) -> tuple[float, list[float]]:
    started = time.perf_counter()
    values = score(gt, detections)
    return time.perf_counter() - started, values


def phase_figures(run_dir: Path) -> str:
    """Detection and scoring seconds per 100 val images, and their share of the run."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    phases = metrics["phase_seconds"]
    images = metrics["eval_images"]
    evaluations = max(1, len(metrics.get("evaluations", [])))
    total = sum(phases.values())
    detect, score = phases.get("eval_detect", 0.0), phases.get("eval_score", 0.0)
    per_100 = 100.0 / (images * evaluations)
    return (f"{run_dir.name}: {evaluations} evaluation(s) of {images} images; detection "
            f"{detect * per_100:.2f} s and scoring {score * per_100:.2f} s per 100 images; "
            f"evaluation {detect + score:.1f} s = {100 * (detect + score) / total:.1f}% of the "
            f"run's {total:.0f} s of phases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--gt", type=Path, required=True, help="val_coco_gt.json")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(phase_figures(args.run_dir))
    gt = json.loads(args.gt.read_text())
    detections = json.loads((args.run_dir / "detections.json").read_text())
    times: dict[str, list[float]] = {"pycocotools": [], "faster-coco-eval": []}
    results: dict[str, list[float]] = {}
    for _ in range(args.repeats):  # alternate, so drifts in machine load hit both alike
        for name, score in (("pycocotools", _pycocotools), ("faster-coco-eval", _faster)):
            seconds, results[name] = _timed(score, gt, detections)
            times[name].append(seconds)
    reference = results["pycocotools"]
    print(f"{len(gt['images'])} images, {len(detections)} detections, {args.repeats} "
          "alternating repeats")
    print("| scorer | median s | min s | max s | ratio to pycocotools | max abs diff, 12 metrics |")
    print("|---|---|---|---|---|---|")
    base = statistics.median(times["pycocotools"])
    for name, samples in times.items():
        diff = max(abs(a - b) for a, b in zip(results[name], reference, strict=True))
        print(f"| {name} | {statistics.median(samples):.3f} | {min(samples):.3f} | "
              f"{max(samples):.3f} | {statistics.median(samples) / base:.2f} | {diff:.2e} |")


if __name__ == "__main__":
    main()
