"""Does wrapping the train step in a tf.while_loop (several steps per call) keep the losses?

Trains a rendered pipeline.config for --steps steps twice, each in a fresh process,
deterministic, seed 0: once with the one-step tf.function, once with the trainer's own
`make_train_steps` (the step in a `tf.while_loop`, called with a count of 1, so both read the
loss after every step). Same data, same seed, same ops per step; only the graph around the
step differs. Prints the total loss per step of each and the first call's seconds.

Usage: python benchmarks/loop_numerics.py PIPELINE_CONFIG [--steps 6]
       (a pipeline.config: e.g. `python -m sweep experiment=demo dry_run=true` renders one)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from determinism import REPO, cpu_name


def train(loop: str, pipeline: Path, steps: int, model_dir: Path) -> None:
    """In this process: `steps` steps, printing each total loss (`loop`: one or while)."""
    from tfod_sweep.training.experiment import seed_everything
    from tfod_sweep.training.loop import make_train_step, make_train_steps
    from tfod_sweep.training.model_setup import build_setup

    seed_everything(0, deterministic=True)
    setup = build_setup(pipeline, model_dir)
    one_step = make_train_step(setup)  # the one-step tf.function
    while_steps = make_train_steps(setup)  # the trainer's tf.while_loop calls

    iterator = iter(setup.train_dataset)
    losses, tic = [], time.perf_counter()
    for step in range(steps):
        if loop == "one":
            losses.append(float(one_step(iterator)["Loss/total_loss"]))
        else:
            losses.append(float(while_steps(iterator, 1)["Loss/total_loss"]))
        if step == 0:
            first = time.perf_counter() - tic
    print(f"{loop}\t{first:.1f}\t" + " ".join(f"{v:.9f}" for v in losses))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        train(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pipeline", type=Path)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for loop in ("one", "while"):
            out = subprocess.run([sys.executable, __file__, "--child", loop,
                                  str(args.pipeline.resolve()), str(args.steps),
                                  f"{tmp}/{loop}"], cwd=REPO, check=True, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
            _, first, values = out.strip().splitlines()[-1].split("\t")
            results[loop] = (float(first), [float(v) for v in values.split()])
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/loop_numerics.py PIPELINE_CONFIG --steps {args.steps}")
    print()
    print("| step | total loss, one step per call | in a tf.while_loop | difference |")
    print("|---|---|---|---|")
    for step, (a, b) in enumerate(zip(results["one"][1], results["while"][1], strict=True), 1):
        print(f"| {step} | {a:.9f} | {b:.9f} | {b - a:.2e} |")
    print(f"\nfirst call (tracing + one step): one {results['one'][0]:.1f} s, "
          f"while_loop {results['while'][0]:.1f} s")


if __name__ == "__main__":
    main()
