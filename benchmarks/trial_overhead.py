"""Where a run's wall time goes: training steps vs everything else.

Runs `python -m sweep experiment=demo <overrides>` in a fresh process per repeat, times it
from outside, and splits the time with the run's own `phase_seconds` (metrics.json):
training steps, the first step (tracing), evaluation (model and COCO scoring), checkpoints,
logging, model build, TF import, the preview picture and timing the trained model. What no
phase covers (interpreter start, Hydra, data and pipeline.config, reports) is "outside".
Overhead = wall - train_steps.

Usage: python benchmarks/trial_overhead.py [--repeats 3] [overrides ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from determinism import REPO, cpu_name, render_demo

PHASES = ("train_steps", "first_step", "eval_detect", "eval_score", "checkpoint", "logging",
          "build", "tf_import", "preview", "inference", "outside")


def one_run(overrides: list[str], outputs: Path, data_dir: Path) -> dict[str, float]:
    """Run once; return seconds per phase plus "wall"."""
    command = [sys.executable, "-m", "sweep", "experiment=demo", f"paths.outputs={outputs}",
               f"paths.data_dir={data_dir}", *overrides]
    tic = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - tic
    (metrics,) = outputs.glob("runs/*/metrics.json")
    phases = dict(json.loads(metrics.read_text())["phase_seconds"])
    phases["outside"] = wall - sum(phases.values())
    phases["wall"] = wall
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("overrides", nargs="*", help="extra `python -m sweep` overrides")
    args = parser.parse_args()
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        render_demo(Path(tmp) / "dry", f"paths.data_dir={data_dir}", *args.overrides)
        for repeat in range(args.repeats):
            runs.append(one_run(args.overrides, Path(tmp) / f"run{repeat}", data_dir))
            print(f"repeat {repeat + 1}: wall {runs[-1]['wall']:.1f} s", file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/trial_overhead.py --repeats {args.repeats} "
          f"{' '.join(args.overrides)}".rstrip())
    print()
    print("| phase | median s | min s | max s | median share of wall |")
    print("|---|---|---|---|---|")
    for phase in (*PHASES, "wall"):
        values = [run.get(phase, 0.0) for run in runs]
        shares = [run.get(phase, 0.0) / run["wall"] for run in runs]
        print(f"| {phase} | {statistics.median(values):.1f} | {min(values):.1f} | "
              f"{max(values):.1f} | {100 * statistics.median(shares):.1f}% |")
    overhead = [1 - run["train_steps"] / run["wall"] for run in runs]
    print()
    print(f"overhead (wall - train_steps) / wall: median {100 * statistics.median(overhead):.1f}%")


if __name__ == "__main__":
    main()
