"""Tracing time of the train and eval steps with AutoGraph on and off, and their losses.

Each measurement runs in a fresh interpreter (a child of this script): it renders the demo's
pipeline.config, builds the model, then times the first call of the train step (tracing +
one step) and of the eval step (tracing + one image). Modes are interleaved (on, off, on,
off, ...) so both see the same machine load. The child also prints the losses of its first
steps, so the two modes can be checked for identical numerics.

Usage: python benchmarks/tracing.py [--repeats 3]
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

STEPS = 4


def child(pipeline: Path, model_dir: Path, autograph: bool) -> None:
    """Time the first train and eval calls in this process; print one JSON line."""
    from tfod_sweep.training.evaluation import make_eval_step
    from tfod_sweep.training.experiment import seed_everything
    from tfod_sweep.training.loop import make_train_step
    from tfod_sweep.training.model_setup import build_setup

    seed_everything(0, deterministic=True)
    setup = build_setup(pipeline, model_dir)
    train_step = make_train_step(setup, autograph=autograph)
    iterator = iter(setup.train_dataset)
    tic = time.perf_counter()
    losses = [float(train_step(iterator)["Loss/total_loss"])]
    train_trace = time.perf_counter() - tic
    losses += [float(train_step(iterator)["Loss/total_loss"]) for _ in range(STEPS - 1)]
    eval_step = make_eval_step(setup.model, autograph=autograph)
    features, labels = next(iter(setup.eval_dataset))
    tic = time.perf_counter()
    eval_step(features, labels)
    eval_trace = time.perf_counter() - tic
    print(json.dumps({"train": train_trace, "eval": eval_trace, "losses": losses}))


def measure(pipeline: Path, workdir: Path, autograph: bool) -> dict:
    model_dir = Path(tempfile.mkdtemp(dir=workdir))
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(pipeline), str(model_dir), str(autograph)],
        cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        pipeline, model_dir, autograph = args.child
        child(Path(pipeline), Path(model_dir), autograph == "True")
        return
    results: dict[bool, list[dict]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pipeline = render_demo(workdir)
        for repeat in range(args.repeats):
            for autograph in (True, False):
                results[autograph].append(measure(pipeline, workdir, autograph))
                print(f"repeat {repeat + 1}: autograph={autograph}: "
                      f"{results[autograph][-1]}", file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/tracing.py --repeats {args.repeats}")
    print()
    print("| AutoGraph | first train step, s (runs) | median | first eval call, s (runs) "
          "| median |")
    print("|---|---|---|---|---|")
    for autograph, runs in results.items():
        train, evals = [r["train"] for r in runs], [r["eval"] for r in runs]
        print(f"| {'on' if autograph else 'off'} | {', '.join(f'{v:.1f}' for v in train)} | "
              f"{statistics.median(train):.1f} | {', '.join(f'{v:.1f}' for v in evals)} | "
              f"{statistics.median(evals):.1f} |")
    same = all(r["losses"] == results[True][0]["losses"] for r in results[True] + results[False])
    print()
    print(f"losses of the first {STEPS} steps identical in every run: {same}")


if __name__ == "__main__":
    main()
