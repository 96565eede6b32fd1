"""Does a study's answer hold? Re-run its best trial and its baseline with more seeds.

A study that samples one seed per trial picks its best by a single draw, so the best value
is biased upwards (the winner's curse). This script reads the best trial and the baseline
(the study's first enqueued point) from the storage, trains each again as a plain run with
the given seeds, one after another, and prints:

- the best trial's value in the study vs its fresh mean ± std;
- the baseline's mean ± std (its study run counts as one seed: it was not selected);
- whether the difference exceeds the noise (the statistic of tfod_sweep.review.seed_stats).

Runs already finished are read, not retrained, so an interrupted re-run resumes.

Usage: python benchmarks/study_rerun.py [--storage outputs/studies/journal.log]
           [--study focal_depth] [--seeds 1 2 3] [--baseline-seeds 1 2] [--experiment demo]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import optuna
from determinism import REPO, cpu_name

from hydra_plugins.tfod_optuna_sweeper.storage import open_storage, resolve_storage
from tfod_sweep.review.seed_stats import SeedStats, noise_verdict

METRIC = "DetectionBoxes_Precision/mAP@.50IOU"


def _overrides(params: dict[str, object]) -> list[str]:
    return [f"{name}={value}" for name, value in sorted(params.items())]


def run_seed(experiment: str, params: dict[str, object], seed: int, outputs: Path) -> float:
    """mAP@.50 of one plain run: read if it finished, else trained now."""
    args = [f"experiment={experiment}", *_overrides(params), f"train.seed={seed}",
            f"paths.outputs={outputs}"]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sweep", *args], cwd=REPO,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: run {' '.join(args)} failed: "
                         f"{result.stderr.strip().splitlines()[-1:]}")
    (metrics_file,) = [p for p in (outputs / "runs").glob("*/metrics.json")
                       if json.loads(p.read_text())["config"]["train"]["seed"] == seed
                       and _matches(json.loads(p.read_text()), params)]
    value = float(json.loads(metrics_file.read_text())["final"][METRIC])
    print(f"  seed {seed}: {value:.3f} ({time.perf_counter() - started:.0f} s) "
          f"{metrics_file.parent.name}", flush=True)
    return value


def _as_trained(trial: optuna.trial.FrozenTrial) -> dict[str, object]:
    """The trial's parameters and its step count: a study may train longer than the
    experiment's own default (focal_depth trains the demo's recipe for 1500 steps)."""
    return {**trial.params, "train.num_steps": int(trial.user_attrs["steps"])}


def _matches(metrics: dict, params: dict[str, object]) -> bool:
    config = metrics["config"]
    for name, value in params.items():
        node = config
        for key in name.split("."):
            node = node[key]
        if node != value:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", default="outputs/studies/journal.log")
    parser.add_argument("--study", default="focal_depth")
    parser.add_argument("--experiment", default="demo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--baseline-seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--outputs", type=Path, default=REPO / "outputs" / "rerun")
    args = parser.parse_args(argv)

    storage = open_storage(resolve_storage(args.storage, Path.cwd()))
    study = optuna.load_study(study_name=args.study, storage=storage)
    trials = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    best = study.best_trial
    baseline = min((t for t in trials if "fixed_params" in t.system_attrs),
                   key=lambda t: t.number)
    print(f"machine: {cpu_name()}")
    print(f"study {args.study!r}: best trial {best.number} ({best.value:.3f}), "
          f"baseline trial {baseline.number} ({baseline.value:.3f})", flush=True)

    print(f"best trial {best.number}, fresh seeds {args.seeds}:")
    fresh = SeedStats(tuple(run_seed(args.experiment, _as_trained(best), s, args.outputs)
                            for s in args.seeds))
    print(f"baseline trial {baseline.number}, its study run + seeds {args.baseline_seeds}:")
    base = SeedStats((float(baseline.value), *(
        run_seed(args.experiment, _as_trained(baseline), s, args.outputs)
        for s in args.baseline_seeds)))

    print()
    print("| | params | mAP@.50 in the study | fresh seeds: mean ± std (n) | per seed |")
    print("|---|---|---|---|---|")
    print(f"| best trial {best.number} | {' '.join(_overrides(best.params))} | "
          f"{best.value:.3f} | {fresh.describe()} | "
          f"{', '.join(f'{v:.3f}' for v in fresh.values)} |")
    print(f"| baseline trial {baseline.number} | {' '.join(_overrides(baseline.params))} | "
          f"{baseline.value:.3f} | {base.describe()} | "
          f"{', '.join(f'{v:.3f}' for v in base.values)} |")
    print()
    print(noise_verdict(f"best trial {best.number} (fresh seeds)", fresh,
                        f"baseline trial {baseline.number}", base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
