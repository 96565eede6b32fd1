"""What building the OD API's input pipelines costs with and without AutoGraph, side by side.

`tf.data.Dataset.map` converts its function with AutoGraph unless told not to. The trainer
builds its train and eval pipelines with `tf.autograph.experimental.do_not_convert`
(src/tfod_sweep/training/model_setup.py); the `autograph` variant undoes that in its own
process, the way the OD API's `model_lib_v2` builds them. Each run is a fresh interpreter
that times `build_setup` (model, both input pipelines, optimizer, checkpoint manager) on
the demo's rendered pipeline.config; the variants alternate round by round.

Usage: python benchmarks/input_build.py [--rounds 3] [overrides ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from determinism import REPO, cpu_name, render_demo

VARIANTS = ("plain", "autograph")


def child(variant: str, pipeline: Path, model_dir: Path) -> None:
    """In this process: build once, print the seconds."""
    import tensorflow as tf

    if variant == "autograph":  # what the OD API's own loop does: convert every map fn
        tf.autograph.experimental.do_not_convert = lambda function: function
    from tfod_sweep.training.experiment import seed_everything
    from tfod_sweep.training.model_setup import build_setup

    seed_everything(0, deterministic=True)
    tic = time.perf_counter()
    build_setup(pipeline, model_dir)
    print(f"{time.perf_counter() - tic:.3f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("overrides", nargs="*", help="extra `python -m sweep` overrides")
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = render_demo(Path(tmp) / "render", *args.overrides)
        for round_number in range(args.rounds):
            for variant in VARIANTS:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", variant, str(pipeline),
                     f"{tmp}/{variant}-{round_number}"],
                    cwd=REPO, check=True, text=True, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL).stdout
                seconds[variant].append(float(out.strip().splitlines()[-1]))
                print(f"round {round_number + 1}: {variant}: {seconds[variant][-1]:.1f} s",
                      file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/input_build.py --rounds {args.rounds} "
          f"{' '.join(args.overrides)}".rstrip())
    print()
    print("| input pipelines built | build_setup seconds per round | median | min | max |")
    print("|---|---|---|---|---|")
    names = {"plain": "as plain Python (the trainer)", "autograph": "with AutoGraph (the OD API)"}
    for variant, values in seconds.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {names[variant]} | {shown} | {statistics.median(values):.1f} | "
              f"{min(values):.1f} | {max(values):.1f} |")
    ratios = [a / p for p, a in zip(seconds["plain"], seconds["autograph"], strict=True)]
    print(f"\nautograph / plain per round: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
