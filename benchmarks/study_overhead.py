"""Per-trial overhead in a finished study: what a worker spends outside train and eval steps.

A study worker imports TensorFlow once and then runs trial after trial, so a trial's
overhead is not a plain run's: no interpreter start, no TF import, but the sampler, the
storage round trips and Hydra's per-job setup. This reads the trials of a finished study
(its storage) and each trial's metrics.json (`run_dir` user attribute), and splits every
COMPLETE trial's wall time (Optuna's start to complete) into:

- train_steps and eval (detection + COCO scoring), the work itself;
- overhead: everything else (Hydra job, pipeline.config, model build, tracing the train
  step, checkpoints, logging, preview, latency and FLOPs, storage writes).

It also reports the gaps between one trial's end and the next one's start (sampling and
storage), and the whole study's share of overhead, from the first trial's start to the
last one's end. PRUNED trials are left out of the per-trial table: they stop at their first
evaluation, so their overhead share is larger by design.

With ``--at-steps N`` it also gives each COMPLETE trial's overhead share had it trained N
steps: its train steps scaled by its own time per step, its evaluations and overhead as
measured (a full-size run evaluates and checkpoints more often; both are printed per
trial, so the reader can add them).

Usage: python benchmarks/study_overhead.py --storage outputs/studies/journal.log
       [--study focal_depth] [--at-steps 15000]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import optuna
from determinism import cpu_name

from hydra_plugins.tfod_optuna_sweeper.storage import open_storage, resolve_storage

WORK = ("train_steps", "eval_detect", "eval_score")
SHOWN = ("first_step", "build", "inference", "checkpoint", "logging", "preview")


def _metrics(trial: optuna.trial.FrozenTrial) -> dict:
    return json.loads((Path(trial.user_attrs["run_dir"]) / "metrics.json").read_text())


def _phases(trial: optuna.trial.FrozenTrial) -> dict[str, float]:
    """The trial's phase_seconds (empty for a trial pruned before it wrote them)."""
    return _metrics(trial).get("phase_seconds") or {}


def share_at(split: dict[str, float], steps: int, target: int) -> float:
    """Overhead's share of the trial's wall had it trained ``target`` steps, not ``steps``.

    train_steps covers every step but the first (that one is tracing, in overhead).
    """
    per_step = split["train_steps"] / (steps - 1)
    wall = split["overhead"] + split["eval"] + per_step * (target - 1)
    return split["overhead"] / wall


def trial_split(trial: optuna.trial.FrozenTrial, phases: dict[str, float]) -> dict[str, float]:
    """Seconds of one trial: its wall, train steps, eval, overhead and the named phases."""
    wall = (trial.datetime_complete - trial.datetime_start).total_seconds()
    split = {"wall": wall, "train_steps": phases.get("train_steps", 0.0),
             "eval": phases.get("eval_detect", 0.0) + phases.get("eval_score", 0.0)}
    split["overhead"] = wall - sum(phases.get(name, 0.0) for name in WORK)
    split.update({name: phases.get(name, 0.0) for name in SHOWN})
    return split


def _row(label: str, values: list[float], walls: list[float]) -> str:
    shares = [value / wall for value, wall in zip(values, walls, strict=True)]
    return (f"| {label} | {statistics.median(values):.1f} | {min(values):.1f} | "
            f"{max(values):.1f} | {100 * statistics.median(shares):.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", default="outputs/studies/journal.log")
    parser.add_argument("--study", default="focal_depth")
    parser.add_argument("--at-steps", type=int, default=None)
    args = parser.parse_args()
    storage = open_storage(resolve_storage(args.storage, Path.cwd()))
    study = optuna.load_study(study_name=args.study, storage=storage)
    finished = sorted((t for t in study.trials if t.datetime_complete is not None
                       and "run_dir" in t.user_attrs), key=lambda t: t.datetime_start)
    complete = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise SystemExit(f"error: study {args.study!r} has no COMPLETE trial with a run_dir")
    phases = {t.number: _phases(t) for t in finished}
    splits = [trial_split(t, phases[t.number]) for t in complete]
    walls = [s["wall"] for s in splits]
    print(f"CPU: {cpu_name()}")
    at = f" --at-steps {args.at_steps}" if args.at_steps else ""
    print(f"command: python benchmarks/study_overhead.py --storage {args.storage} "
          f"--study {args.study}{at}")
    print(f"{len(complete)} COMPLETE trials of {len(finished)} finished")
    print()
    print("| part of a COMPLETE trial | median s | min s | max s | median share of wall |")
    print("|---|---|---|---|---|")
    for name in ("train_steps", "eval", "overhead", *SHOWN, "wall"):
        print(_row(name, [s[name] for s in splits], walls))
    if args.at_steps:
        print(f"\nhad each trained {args.at_steps} steps (trial: steps, s per step, "
              "checkpoints, overhead share):")
        shares = []
        for trial, split in zip(complete, splits, strict=True):
            steps = int(_metrics(trial)["steps"])
            shares.append(share_at(split, steps, args.at_steps))
            print(f"  trial {trial.number}: {steps}, {split['train_steps'] / (steps - 1):.2f}, "
                  f"{split['checkpoint']:.1f} s, {100 * shares[-1]:.2f}%")
        print(f"overhead at {args.at_steps} steps: median {100 * statistics.median(shares):.2f}% "
              f"({100 * min(shares):.2f}-{100 * max(shares):.2f}%)")
    gaps = [(after.datetime_start - before.datetime_complete).total_seconds()
            for before, after in zip(finished, finished[1:], strict=False)]
    if gaps:
        print(f"\nbetween trials (one's end to the next one's start): median "
              f"{statistics.median(gaps):.1f} s, max {max(gaps):.1f} s over {len(gaps)} gaps")
    untimed = sum(not phases[t.number] for t in finished)
    if untimed:
        print(f"whole study: not computed, {untimed} finished trials have no phase_seconds "
              f"(pruned before they were written)")
        return
    study_wall = (finished[-1].datetime_complete - finished[0].datetime_start).total_seconds()
    work = sum(phases[t.number].get(name, 0.0) for t in finished for name in WORK)
    print(f"whole study, {len(finished)} trials: {study_wall / 60:.1f} min, of which "
          f"{100 * (1 - work / study_wall):.1f}% outside train and eval steps")

if __name__ == "__main__":
    main()
