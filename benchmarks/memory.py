"""Peak memory of a run, and whether memory grows over trials that share one process.

Reads the `memory` each run records in metrics.json (resident MiB at its end, and the
process's peak so far):
1. the demo's model and data at 128x128, batch 8, and at 320x320, batch 12 (the logbook's
   setting), each trained --steps steps in its own process, with the final evaluation;
2. --trials short runs in ONE process, as a study worker runs its trials (Hydra's basic
   launcher runs a multirun's jobs one after another in-process): the resident size at
   the end of each shows any growth from trial to trial.

Usage: python benchmarks/memory.py [--steps 30] [--trials 10] [--trials-only]
       [overrides ...]   (e.g. train.input_autotune=false, for every run)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from determinism import REPO, cpu_name

SIZES = {
    "128x128, batch 8 (the demo)": ["train.batch_size=8"],
    "320x320, batch 12 (the logbook's)": ["resolution=320", "dataset.synthetic.image_size=320",
                                       "train.batch_size=12"],
}


def sweep(args: list[str], outputs: Path) -> None:
    subprocess.run([sys.executable, "-m", "sweep", *args, f"paths.outputs={outputs}"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def memories(outputs: Path) -> list[dict[str, float]]:
    """metrics.json `memory` of every run under `outputs`, in the order they finished."""
    found = [json.loads(p.read_text()) for p in outputs.glob("**/metrics.json")]
    return [m["memory"] for m in sorted(found, key=lambda m: m["seed"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--trials-only", action="store_true",
                        help="skip part 1 (one run per size)")
    parser.add_argument("overrides", nargs="*", help="extra `python -m sweep` overrides")
    args = parser.parse_args()
    short = [f"train.num_steps={args.steps}", f"train.eval_every={args.steps}",
             f"train.checkpoint_every={args.steps}", *args.overrides]
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/memory.py --steps {args.steps} --trials {args.trials}"
          f"{' --trials-only' if args.trials_only else ''} {' '.join(args.overrides)}".rstrip())
    print()
    print("| run | steps | resident at the end, MiB | peak, MiB |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for index, (name, overrides) in enumerate(SIZES.items()):
            if args.trials_only:
                break
            outputs = Path(tmp) / f"size{index}"
            sweep(["experiment=demo", *short, *overrides], outputs)
            (memory,) = memories(outputs)
            print(f"| {name} | {args.steps} | {memory['rss_mb']:.0f} | "
                  f"{memory['peak_rss_mb']:.0f} |", flush=True)
        outputs = Path(tmp) / "trials"
        seeds = ",".join(str(seed) for seed in range(args.trials))
        sweep(["-m", "experiment=demo", *short, "eval.max_images=20", f"train.seed={seeds}"],
              outputs)
        trials = memories(outputs)
    print()
    print(f"{len(trials)} runs of {args.steps} steps in one process (`-m train.seed=0..."
          f"{args.trials - 1}`), resident MiB at the end of each:")
    print(", ".join(f"{m['rss_mb']:.0f}" for m in trials))
    growth = trials[-1]["rss_mb"] - trials[1]["rss_mb"]
    print(f"from the end of run 2 to the end of run {len(trials)}: {growth:+.0f} MiB "
          f"({growth / (len(trials) - 2):+.1f} MiB a run); peak {trials[-1]['peak_rss_mb']:.0f}")


if __name__ == "__main__":
    main()
