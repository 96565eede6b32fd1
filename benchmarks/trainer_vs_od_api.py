"""Our trainer against the OD API's own `model_lib_v2.train_loop`, side by side.

Both train the same rendered pipeline.config on the same embedded data, deterministic and
seeded the same way, for the same number of steps, one process per run, the variants
interleaved round by round so that they share the machine's load. Throughput is read the
same way on both sides, from the wall times of the loss summaries each loop writes to
`train/` (TensorBoard events): images/s over steps (--skip, --steps], so model build and
the first step's tracing are outside the window.

Variants:
- `ours`: `python -m sweep` (one step per tf.function call, losses read every step);
- `ours_k10`, `ours_k100`: the same with `train.steps_per_call=10` or `100` (the steps run
  in a tf.while_loop, losses read once per call);
- `od_api`: `train_loop(num_steps_per_iteration=1)`: the OD API's step and loop, one step
  per call (image and loss summaries every step), the graph ours runs;
- `od_api_k10`: `train_loop(num_steps_per_iteration=10)`: ten steps per call, the lever
  of running several steps inside one tf.function;
- `od_api_k100`: `train_loop(num_steps_per_iteration=100)`, what `model_main_tf2` runs (the
  OD API's default). It logs losses every 100 steps only, so --skip and --steps must then
  be multiples of 100.

Usage: python benchmarks/trainer_vs_od_api.py [--rounds 3] [--steps 250] [--skip 50]
       [--variants ours od_api ...] [-- overrides ...]   e.g. -- resolution=320
       (`--` ends --variants, else argparse takes the overrides for variants)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from determinism import REPO, cpu_name

VARIANTS = ("ours", "od_api", "od_api_k10", "od_api_k100", "ours_k10", "ours_k100")
STEPS_PER_CALL = {"od_api": 1, "od_api_k10": 10, "od_api_k100": 100, "ours": 1,
                  "ours_k10": 10, "ours_k100": 100}
LOSS_TAG = "Loss/total_loss"


def od_api_child(pipeline: str, model_dir: str, steps: int, per_call: int, seed: int) -> None:
    """In a fresh process: the OD API's loop with our input fixes, seeds and determinism."""
    from object_detection import model_lib_v2

    # The same input-pipeline fixes and determinism our trainer runs with (numerics equal).
    import tfod_sweep.training.model_setup  # noqa: F401  (applies patch_od_api_inputs)
    from tfod_sweep.training.experiment import seed_everything

    seed_everything(seed, deterministic=True)
    model_lib_v2.train_loop(pipeline_config_path=pipeline, model_dir=model_dir,
                            train_steps=steps, checkpoint_every_n=10**9,
                            num_steps_per_iteration=per_call)


def loss_events(model_dir: Path) -> dict[int, tuple[float, float]]:
    """step -> (wall time, total loss) of the loss summaries in `model_dir/train`."""
    import tensorflow as tf

    found: dict[int, tuple[float, float]] = {}
    for path in sorted((model_dir / "train").glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == LOSS_TAG:
                    loss = (float(tf.make_ndarray(value.tensor)) if value.HasField("tensor")
                            else value.simple_value)
                    found[int(event.step)] = (event.wall_time, loss)
    return found


def throughput(events: dict[int, tuple[float, float]], skip: int, steps: int,
               batch: int) -> float:
    """Images/s between the summaries of step `skip` and step `steps`."""
    seconds = events[steps][0] - events[skip][0]
    return batch * (steps - skip) / seconds


def run_ours(args: argparse.Namespace, outputs: Path, data_dir: Path,
             dry_run: bool = False, per_call: int = 1) -> Path:
    """Train with `python -m sweep` (or only render, with `dry_run`); return the run dir."""
    steps = args.steps
    command = [sys.executable, "-m", "sweep", "experiment=demo", f"train.num_steps={steps}",
               f"train.steps_per_call={per_call}",
               f"train.eval_every={steps}", f"train.checkpoint_every={steps}",
               "eval.max_images=8", "eval.latency_images=0", f"train.seed={args.seed}",
               f"paths.outputs={outputs}", f"paths.data_dir={data_dir}", *args.overrides,
               f"dry_run={str(dry_run).lower()}"]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    (config,) = outputs.glob("runs/*/pipeline.config")
    return config.parent


def run_od_api(args: argparse.Namespace, variant: str, pipeline: Path, model_dir: Path) -> None:
    command = [sys.executable, __file__, "--od-api-child", str(pipeline), str(model_dir),
               str(args.steps), str(STEPS_PER_CALL[variant]), str(args.seed)]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def training_fields(pipeline: Path) -> list[str]:
    """The config's lines but the label map's path, which names each run's own copy."""
    return [line for line in pipeline.read_text().splitlines() if "label_map_path" not in line]


def batch_size(pipeline: Path) -> int:
    for line in pipeline.read_text().splitlines():
        if line.strip().startswith("batch_size:"):
            return int(line.split(":")[1])
    raise ValueError(f"no batch_size in {pipeline}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--od-api-child":
        pipeline, model_dir, steps, per_call, seed = sys.argv[2:7]
        od_api_child(pipeline, model_dir, int(steps), int(per_call), int(seed))
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--skip", type=int, default=50, help="steps before the timed window")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS,
                        default=["ours", "od_api", "od_api_k10"],
                        help="k100 variants only when asked: they need other --steps/--skip")
    parser.add_argument("overrides", nargs="*", help="extra `python -m sweep` overrides")
    args = parser.parse_args()
    if args.steps % 10 or args.skip % 10:
        parser.error("--steps and --skip must be multiples of 10 (both loops log every 10)")
    if any(v.endswith("k100") for v in args.variants) and (args.steps % 100 or args.skip % 100):
        parser.error("the k100 variants log every 100 steps: --steps and --skip must be "
                     "multiples of 100")
    rates: dict[str, list[float]] = {v: [] for v in args.variants}
    losses: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # The pipeline.config every variant trains: rendered by our app once, reused as is.
        reference = run_ours(args, work / "reference", work / "data", dry_run=True)
        pipeline, batch = reference / "pipeline.config", batch_size(reference / "pipeline.config")
        for round_number in range(1, args.rounds + 1):
            for variant in args.variants:
                model_dir = work / f"{variant}-{round_number}"
                if variant.startswith("ours"):
                    run_dir = run_ours(args, model_dir, work / "data",
                                       per_call=STEPS_PER_CALL[variant])
                    if training_fields(run_dir / "pipeline.config") != training_fields(pipeline):
                        raise SystemExit("our run rendered a different pipeline.config")
                else:
                    run_od_api(args, variant, pipeline, model_dir)
                    run_dir = model_dir
                events = loss_events(run_dir)
                rates[variant].append(throughput(events, args.skip, args.steps, batch))
                losses.setdefault(variant, {s: loss for s, (_, loss) in events.items()})
                print(f"round {round_number}: {variant}: {rates[variant][-1]:.2f} img/s",
                      file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/trainer_vs_od_api.py --rounds {args.rounds} "
          f"--steps {args.steps} --skip {args.skip} {' '.join(args.overrides)}".rstrip())
    print(f"timed window: steps {args.skip + 1}..{args.steps}, batch {batch}")
    print()
    print("| loop | img/s per round | median | min | max | vs od_api |")
    print("|---|---|---|---|---|---|")
    base = statistics.median(rates["od_api"]) if "od_api" in rates else None
    for variant, values in rates.items():
        median = statistics.median(values)
        ratio = f"{median / base:.3f}" if base else "-"
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {variant} | {shown} | {median:.2f} | {min(values):.2f} | {max(values):.2f} "
              f"| {ratio} |")
    print()
    for mine in (v for v in rates if v.startswith("ours")):
        for other in (v for v in rates if v != mine):
            pairs = [o / a for o, a in zip(rates[mine], rates[other], strict=True)]
            ratio = statistics.median(rates[mine]) / statistics.median(rates[other])
            print(f"{mine} / {other}: {ratio:.3f} by medians; per round "
                  f"{', '.join(f'{p:.3f}' for p in pairs)}, median {statistics.median(pairs):.3f}")
    print()
    for variant in losses:
        if variant == "ours":
            continue
        common = sorted(set(losses[variant]) & set(losses.get("ours", {})))
        gaps = [abs(losses[variant][s] - losses["ours"][s]) for s in common]
        if gaps:
            print(f"total loss, {variant} vs ours at {len(common)} common steps: "
                  f"max |difference| {max(gaps):.3g}")


if __name__ == "__main__":
    main()
