"""Does the same command give the same numbers? Each setting is trained twice, 10 steps.

Prints, per setting, the step-10 total loss of both runs and whether every number in
metrics.json that the determinism test compares (losses, 12 COCO metrics) is equal.

Usage: python benchmarks/repeatability.py [--steps 10] [--settings NAME ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from determinism import REPO, cpu_name

# name -> overrides on top of the demo recipe.
SETTINGS: dict[str, tuple[str, ...]] = {
    "128x128, batch 8 (the demo's)": (),
    "128x128, batch 12": ("train.batch_size=12",),
    "128x128, batch 16": ("train.batch_size=16",),
    "320x320, batch 12 (the logbook's)": ("resolution=320", "dataset.synthetic.image_size=320",
                                       "train.batch_size=12"),
}


def numbers(metrics: dict) -> dict[str, float]:
    """Final and per-evaluation COCO metrics and losses, and the last train losses."""
    values = {f"final/{k}": v for k, v in metrics["final"].items()}
    values.update({f"train/{k}": v for k, v in metrics["final_train_losses"].items()})
    return values


def train(overrides: tuple[str, ...], steps: int, outputs: Path, data_dir: Path) -> dict:
    command = [sys.executable, "-m", "sweep", "experiment=demo", f"train.num_steps={steps}",
               f"train.eval_every={steps}", f"train.checkpoint_every={steps}",
               "eval.max_images=16", "eval.latency_images=0", f"paths.outputs={outputs}",
               f"paths.data_dir={data_dir}", *overrides]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    (path,) = outputs.glob("runs/*/metrics.json")
    return json.loads(path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.settings:
            runs = [train(SETTINGS[name], args.steps, work / f"{len(rows)}-{i}", work / "data")
                    for i in range(2)]
            first, again = (numbers(r) for r in runs)
            equal = first == again
            losses = [r["final_train_losses"]["Loss/total_loss"] for r in runs]
            rows.append(f"| {name} | {losses[0]:.7f} vs {losses[1]:.7f} | "
                        f"{'yes' if equal else 'no'} |")
            print(rows[-1], file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/repeatability.py --steps {args.steps}")
    print()
    print(f"| setting | total loss at step {args.steps}, run 1 vs run 2 | all numbers equal |")
    print("|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
