"""Which classes a finished run confuses: colour mix-ups vs shape mix-ups on the shapes sets.

For every val ground-truth box, takes the highest-scoring detection (score > 0.3) that
overlaps it with IoU > 0.5, and counts the cases whose class differs, split into wrong
colour and wrong shape (class names are `<colour>_<shape>`).

Usage: python benchmarks/class_confusion.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

_SCORE, _IOU = 0.3, 0.5


def _iou(a: list[float], b: list[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    width = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    height = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = width * height
    return inter / (aw * ah + bw * bh - inter + 1e-9)


def _ground_truth(run_dir: Path) -> dict[str, Any]:
    """The generator's COCO val ground truth, found from the run's pipeline.config."""
    text = (run_dir / "pipeline.config").read_text()
    val_pattern = re.findall(r'input_path: "([^"]*val[^"]*)"', text)[0]
    return json.loads((Path(val_pattern).parent / "val_coco_gt.json").read_text())


def confusion(run_dir: Path) -> dict[str, Any]:
    gt = _ground_truth(run_dir)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    detections: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for det in json.loads((run_dir / "detections.json").read_text()):
        if det["score"] > _SCORE:
            detections[det["image_id"]].append(det)
    colour, shape = Counter(), Counter()
    found = wrong = 0
    for ann in gt["annotations"]:
        hits = [d for d in detections[ann["image_id"]] if _iou(ann["bbox"], d["bbox"]) > _IOU]
        if not hits:
            continue
        found += 1
        best = max(hits, key=lambda d: d["score"])
        truth, guess = names[ann["category_id"]], names[best["category_id"]]
        if truth == guess:
            continue
        wrong += 1
        (truth_colour, truth_shape), (guess_colour, guess_shape) = (
            truth.split("_", 1), guess.split("_", 1))
        if truth_colour != guess_colour:
            colour[f"{truth_colour}->{guess_colour}"] += 1
        if truth_shape != guess_shape:
            shape[f"{truth_shape}->{guess_shape}"] += 1
    return {"objects": len(gt["annotations"]), "found": found, "wrong_class": wrong,
            "wrong_colour": sum(colour.values()), "wrong_shape": sum(shape.values()),
            "top_colour": colour.most_common(3), "top_shape": shape.most_common(3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    print("| run | objects | found | wrong class | wrong colour | wrong shape | top colour "
          "mix-ups |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        c = confusion(run)
        top = ", ".join(f"{k} {v}" for k, v in c["top_colour"])
        print(f"| {run.name} | {c['objects']} | {c['found']} | {c['wrong_class']} | "
              f"{c['wrong_colour']} | {c['wrong_shape']} | {top} |")


if __name__ == "__main__":
    main()
