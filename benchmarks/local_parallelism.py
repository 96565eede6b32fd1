"""Trials per hour of a local study: one worker against two.

Runs a reduced focal_depth study (the same sampler seed and n_trials each time) in a fresh
output dir per variant, the variants one after another, and times each from outside:
- `n_jobs=1`: one worker process using TensorFlow's default thread pools (all cores);
- `n_jobs=2`: two worker processes as the sweeper runs them by default: cores // 2
  TensorFlow threads each, and history_lag 1 (a trial waits for all but the newest
  older trial to finish before it is sampled, so the study is repeatable);
- `n_jobs=2, no lag`: the same with history_lag=0 (no waiting, not repeatable);
- `n_jobs=2, all threads`: two workers with TensorFlow's default pools each (the
  thread variables set to 0), so they oversubscribe the cores.
Trials train to the end (eval_every = steps), so every variant does the same work.
The seconds the trials of each variant waited for older ones are printed.

The variants run interleaved, one round after another (--rounds), and the table gives each
variant's median, min and max wall time and its median ratio to `n_jobs=1` within a round.
Each trial's depth_multiplier is printed: trials of different depth are different work,
so compare variants whose trials match.

Usage: python benchmarks/local_parallelism.py [--trials 4] [--steps 300] [--rounds 3]
       [--variants 1,2,2x1]
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
from statistics import median

from determinism import REPO, cpu_name, render_demo

from hydra_plugins.tfod_optuna_sweeper._attrs import HISTORY_WAIT
from hydra_plugins.tfod_optuna_sweeper.storage import open_storage, resolve_storage
from tfod_sweep.thread_pools import INTER_OP, INTRA_OP

#: key: (label, extra overrides, environment). n_jobs=1 always runs: the others are
#: compared with it.
VARIANTS: dict[str, tuple[str, list[str], dict[str, str]]] = {
    "1": ("n_jobs=1", ["hydra.sweeper.n_jobs=1"], {}),
    "2": ("n_jobs=2", ["hydra.sweeper.n_jobs=2"], {}),
    "2free": ("n_jobs=2, no lag", ["hydra.sweeper.n_jobs=2", "hydra.sweeper.history_lag=0"], {}),
    "2all": ("n_jobs=2, all threads", ["hydra.sweeper.n_jobs=2"], {INTRA_OP: "0", INTER_OP: "0"}),
}


def run_study(overrides: list[str], env: dict[str, str], trials: int, steps: int,
              outputs: Path, data_dir: Path) -> float:
    """Run the reduced study to its end; return its wall seconds."""
    command = [sys.executable, "-m", "sweep", "-m", "hparams_search=focal_depth",
               f"hydra.sweeper.n_trials={trials}", *overrides,
               f"train.num_steps={steps}", f"train.eval_every={steps}",
               f"train.checkpoint_every={steps}", f"paths.outputs={outputs}",
               f"paths.data_dir={data_dir}"]
    base = {k: v for k, v in os.environ.items() if k not in (INTRA_OP, INTER_OP)}
    tic = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**base, **env})
    return time.perf_counter() - tic


def history_waits(outputs: Path) -> list[float]:
    """Seconds each trial waited for older trials before it was sampled (0: no wait)."""
    import optuna

    storage = open_storage(resolve_storage("studies/journal.log", outputs))
    study = optuna.load_study(study_name="focal_depth", storage=storage)
    return [float(t.user_attrs.get(HISTORY_WAIT, 0.0)) for t in study.trials]


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="1,2",
                        help=f"comma-separated keys of {sorted(VARIANTS)}")
    args = parser.parse_args()
    keys = ["1"] + [k for k in args.variants.split(",") if k != "1"]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {sorted(VARIANTS)}")
    walls: dict[str, list[float]] = {k: [] for k in keys}
    depths: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        render_demo(Path(tmp) / "dry", f"paths.data_dir={data_dir}")
        for round_number in range(args.rounds):
            for key in keys:
                label, overrides, env = VARIANTS[key]
                outputs = Path(tmp) / f"round{round_number}-{key}"
                wall = run_study(overrides, env, args.trials, args.steps, outputs, data_dir)
                walls[key].append(wall)
                depths[key] = trial_depths(outputs)
                print(f"round {round_number + 1}, {label}: {wall:.0f} s, depths "
                      f"{depths[key]}, waits {history_waits(outputs)} s", file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/local_parallelism.py --trials {args.trials} "
          f"--steps {args.steps} --rounds {args.rounds} --variants {','.join(keys)}")
    print()
    print("| workers | wall per round, s | median (min-max) | trials/hour (median) "
          "| vs n_jobs=1, median of rounds | depth_multiplier per trial |")
    print("|---|---|---|---|---|---|")
    for key in keys:
        label, wall = VARIANTS[key][0], walls[key]
        ratios = [base / ours for base, ours in zip(walls["1"], wall, strict=True)]
        print(f"| {label} | {', '.join(f'{w:.0f}' for w in wall)} | {median(wall):.0f} "
              f"({min(wall):.0f}-{max(wall):.0f}) | {args.trials * 3600 / median(wall):.1f} | "
              f"{median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{', '.join(str(d) for d in depths[key])} |")


if __name__ == "__main__":
    main()
