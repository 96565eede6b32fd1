"""The demo on each supported stack, side by side: mAP@.50, wall time and img/s per seed.

Runs `python -m sweep experiment=demo train.seed=S` in each stack's venv, interleaved (seed 0
on every stack, then seed 1, ...), so a slow spell of the machine falls on both stacks alike.
Both stacks read one copy of the embedded dataset, generated before any run is timed.
Prints a markdown table and each stack's median, mean and std.

Usage: python benchmarks/stacks.py OUT [--seeds 0 1 2] [--stacks tf221=.venv tf215=.venv-tf215]
A run whose metrics.json exists in OUT is read, not trained again, so a cut run resumes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

from determinism import REPO, cpu_name

METRIC = "DetectionBoxes_Precision/mAP@.50IOU"


def run_demo(python: Path, seed: int, folder: Path, data_dir: Path) -> dict:
    """Train one demo seed in one stack's venv (or read it back); adds the wall seconds."""
    done = folder / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    start = time.perf_counter()
    subprocess.run([str(python), "-m", "sweep", "experiment=demo", f"train.seed={seed}",
                    f"paths.outputs={folder}", f"paths.data_dir={data_dir}"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    (path,) = folder.glob("runs/*/metrics.json")
    metrics = json.loads(path.read_text())
    result = {"map50": metrics["final"][METRIC], "wall": wall,
              "img_s": metrics.get("images_per_second"),
              "train_seconds": metrics["train_seconds"]}
    done.write_text(json.dumps(result))
    return result


def summary(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return (f"{statistics.median(values):.3f} / {statistics.mean(values):.3f} ± {spread:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--stacks", nargs="+", default=["tf221=.venv", "tf215=.venv-tf215"],
                        help="NAME=VENV, each venv installed with `make install STACK=NAME`")
    args = parser.parse_args()
    stacks = {name: REPO / venv / "bin" / "python"
              for name, venv in (item.split("=", 1) for item in args.stacks)}
    data_dir = args.out / "data"
    first = next(iter(stacks.values()))
    # A dry run renders the demo's pipeline.config, generating the demo's dataset on the way.
    subprocess.run([str(first), "-m", "sweep", "experiment=demo", "dry_run=true",
                    f"paths.outputs={args.out / 'dry_run'}", f"paths.data_dir={data_dir}"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    results: dict[str, dict[int, dict]] = {name: {} for name in stacks}
    for seed in args.seeds:
        for name, python in stacks.items():
            results[name][seed] = run_demo(python, seed, args.out / name / f"seed{seed}",
                                           data_dir)
            print(f"{name} seed {seed}: {results[name][seed]}", flush=True)
    print(f"\n{cpu_name()}\n")
    print("| stack | seed | mAP@.50 | wall | img/s |\n|---|---|---|---|---|")
    for name, runs in results.items():
        for seed, run in runs.items():
            minutes, seconds = divmod(round(run["wall"]), 60)
            rate = f"{run['img_s']:.1f}" if run["img_s"] else "-"
            print(f"| {name} | {seed} | {run['map50']:.3f} | {minutes} min {seconds:02d} s "
                  f"| {rate} |")
    for name, runs in results.items():
        maps = [run["map50"] for run in runs.values()]
        walls = [run["wall"] for run in runs.values()]
        print(f"{name}: mAP@.50 median / mean ± std {summary(maps)}; "
              f"median wall {statistics.median(walls) / 60:.2f} min")


if __name__ == "__main__":
    main()
