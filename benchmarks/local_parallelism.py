"""Trials per hour of a local study: one worker, two workers, two workers of one thread each.

Runs a reduced focal_depth study (the same sampler seed and n_trials each time) in a fresh
output dir per variant, the variants one after another, and times each from outside:
- `n_jobs=1`: one worker process using TensorFlow's default thread pools (all cores);
- `n_jobs=2`: two worker processes sharing the cores, default pools in each;
- `n_jobs=2, 1 thread`: two workers, each with one intra-op and one inter-op thread
  (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS), so they do not oversubscribe.

Each trial's depth_multiplier is printed: trials of different depth are different work,
so compare variants whose trials match.

Usage: python benchmarks/local_parallelism.py [--trials 4] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from determinism import REPO, cpu_name

VARIANTS: dict[str, tuple[int, dict[str, str]]] = {
    "n_jobs=1": (1, {}),
    "n_jobs=2": (2, {}),
    "n_jobs=2, 1 thread each": (2, {"TF_NUM_INTRAOP_THREADS": "1",
                                    "TF_NUM_INTEROP_THREADS": "1"}),
}


def run_study(jobs: int, env: dict[str, str], trials: int, steps: int, outputs: Path,
              data_dir: Path) -> float:
    """Run the reduced study to its end; return its wall seconds."""
    command = [sys.executable, "-m", "sweep", "-m", "hparams_search=focal_depth",
               f"hydra.sweeper.n_trials={trials}", f"hydra.sweeper.n_jobs={jobs}",
               f"train.num_steps={steps}", f"train.eval_every={steps}",
               f"train.checkpoint_every={steps}", f"paths.outputs={outputs}",
               f"paths.data_dir={data_dir}"]
    tic = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, **env})
    return time.perf_counter() - tic


def trial_depths(outputs: Path) -> list[float]:
    """depth_multiplier of every finished trial, in trial order."""
    depths = []
    for path in sorted(outputs.glob("studies/focal_depth/trial_*/metrics.json"),
                       key=lambda p: int(p.parent.name.split("_")[1])):
        depths.append(json.loads(path.read_text())["config"]["backbone"]["depth_multiplier"])
    return depths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run([sys.executable, "-m", "sweep", "experiment=demo", "dry_run=true",
                        f"paths.outputs={tmp}/dry", f"paths.data_dir={data_dir}"],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        for name, (jobs, env) in VARIANTS.items():
            outputs = Path(tmp) / f"variant{len(rows)}"
            wall = run_study(jobs, env, args.trials, args.steps, outputs, data_dir)
            rows.append((name, wall, trial_depths(outputs)))
            print(f"{name}: {wall:.0f} s", file=sys.stderr)
    base = rows[0][1]
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/local_parallelism.py --trials {args.trials} "
          f"--steps {args.steps}")
    print()
    print("| workers | wall, s | trials/hour | vs n_jobs=1 | depth_multiplier per trial |")
    print("|---|---|---|---|---|")
    for name, wall, depths in rows:
        print(f"| {name} | {wall:.0f} | {args.trials * 3600 / wall:.1f} | {base / wall:.2f}x | "
              f"{', '.join(str(d) for d in depths)} |")


if __name__ == "__main__":
    main()
