"""Training images/s of one model per zoo family at one common small side, side by side.

The six families of tests/zoo/test_families.py, each its own zoo config, rendered by
`python -m sweep ... dry_run=true` at SIDE x SIDE (256 by default: the smallest side that
every family accepts, EfficientDet's BiFPN included) and batch 2, on the embedded shapes.

All six models are built once, in this one process, with the trainer's own code
(`build_setup`, `make_train_step`: the same tf.function a run trains with, determinism on
as `train.deterministic` defaults). Then they train in rounds: round 1 times `--steps`
steps of every family, round 2 again, and so on, so every family sees the same machine
load. One process per family and round would spend 40-120 s of import, build, tracing
and evaluation for every number; here that is paid once per family and reported as build
and first-step (tracing) seconds (the first model's build also pays the OD API's lazy
imports). The first step and `--warmup` more are never timed. A full run takes ~15 min on
2 cores, most of it Faster R-CNN's 20 steps x 3 rounds at ~0.3 img/s.

Usage: python benchmarks/family_speed.py [--side 256] [--batch 2] [--steps 20]
                                          [--rounds 3] [--warmup 2] [--models M ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from determinism import REPO, cpu_name

#: model= -> the family it stands for (the zoo families of issue 11).
FAMILIES = {
    "ssd640": "SSD MobileNet v2 FPNLite",
    "ssd_mobilenet_v2_300": "SSD MobileNet v2",
    "efficientdet_d0": "EfficientDet D0",
    "retinanet50_640": "SSD ResNet50 v1 FPN (RetinaNet)",
    "faster_rcnn50_640": "Faster R-CNN ResNet50",
    "centernet512": "CenterNet ResNet101 v1 FPN",
}


@dataclass
class Family:
    """One built model ready to train, and what it measured."""

    model: str
    step: Callable[[], dict[str, float]]
    build_seconds: float
    first_step_seconds: float
    rates: list[float] = field(default_factory=list)


def render(model: str, side: int, batch: int, outputs: Path, data_dir: Path) -> Path:
    """The model's pipeline.config as a user's run would have it (TF-free dry run)."""
    command = [sys.executable, "-m", "sweep", f"model={model}", f"resolution.height={side}",
               f"resolution.width={side}", f"train.batch_size={batch}", "dry_run=true",
               "dataset.synthetic.train_images=64", "dataset.synthetic.val_images=4",
               f"paths.outputs={outputs}", f"paths.data_dir={data_dir}"]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    (pipeline,) = outputs.glob("runs/*/pipeline.config")
    return pipeline


def prepare(model: str, pipeline: Path, model_dir: Path, warmup: int) -> Family:
    """Build the model and trace its train step; the warm-up steps are run, not timed."""
    from tfod_sweep.training.loop import make_train_step
    from tfod_sweep.training.model_setup import build_setup

    tic = time.perf_counter()
    setup = build_setup(pipeline, model_dir)
    build = time.perf_counter() - tic
    train_step = make_train_step(setup)
    iterator = iter(setup.train_dataset)

    def step() -> dict[str, float]:
        # float() waits for the step, as the trainer's loop does.
        return {name: float(value) for name, value in train_step(iterator).items()}

    tic = time.perf_counter()
    step()
    first = time.perf_counter() - tic
    for _ in range(warmup):
        step()
    return Family(model, step, build, first)


def timed_rate(family: Family, steps: int, batch: int) -> float:
    """Images per second over `steps` consecutive train steps."""
    tic = time.perf_counter()
    for _ in range(steps):
        losses = family.step()
    seconds = time.perf_counter() - tic
    if not all(value == value for value in losses.values()):  # NaN: the numbers mean nothing
        raise RuntimeError(f"{family.model}: the loss is NaN")
    return batch * steps / seconds


def table(families: list[Family], side: int, batch: int, rounds: int) -> str:
    """The markdown table: img/s per round and their median, build and tracing seconds."""
    heads = ["family", "model=", "side", "batch", *(f"round {r + 1}" for r in range(rounds)),
             "median img/s", "build s", "first step s"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for family in families:
        cells: list[Any] = [FAMILIES.get(family.model, family.model), f"`{family.model}`",
                            side, batch, *(f"{rate:.2f}" for rate in family.rates),
                            f"**{statistics.median(family.rates):.2f}**",
                            f"{family.build_seconds:.0f}", f"{family.first_step_seconds:.0f}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps after the first")
    parser.add_argument("--models", nargs="+", default=list(FAMILIES))
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pipelines = {model: render(model, args.side, args.batch, work / model, work / "data")
                     for model in args.models}
        from tfod_sweep.tf_logging import configure_tf_logging

        configure_tf_logging(verbose=False)
        import tensorflow as tf

        from tfod_sweep.training.experiment import seed_everything

        seed_everything(0, deterministic=True)  # as a run with the default train.* does
        families = []
        for model, pipeline in pipelines.items():
            families.append(prepare(model, pipeline, work / model / "model", args.warmup))
            print(f"{model}: build {families[-1].build_seconds:.0f} s, first step "
                  f"{families[-1].first_step_seconds:.0f} s", file=sys.stderr)
        for round_ in range(args.rounds):
            for family in families:
                family.rates.append(timed_rate(family, args.steps, args.batch))
                print(f"round {round_ + 1}: {family.model}: {family.rates[-1]:.2f} img/s",
                      file=sys.stderr)
    command = " ".join(["python", "benchmarks/family_speed.py", *sys.argv[1:]])
    print(f"CPU: {cpu_name()}; TensorFlow {tf.__version__}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; whole run "
          f"{(time.perf_counter() - started) / 60:.1f} min")
    print(f"command: {command}")
    print(f"{args.steps} timed steps per round, after the first step and {args.warmup} more")
    print()
    print(table(families, args.side, args.batch, args.rounds))


if __name__ == "__main__":
    main()
