"""tf.data autotuning on or off: training speed, and the stall at the end of a run.

Runs `python -m sweep experiment=demo` for --steps steps with `train.input_autotune` true
and false, alternating, --rounds times, and reports per run: images/s after the first call
(metrics.json), the seconds outside every timed phase (wall minus phase_seconds), the
seconds from the last checkpoint to detections.json (the final evaluation, plus any stall
while the train iterator is deleted), and the final total loss (equal when the input order
is the same).

With autotuning on, TF 2.15 deletes an iterator by waiting for tf.data's tuning thread,
which may be asleep for up to a minute; whether it is depends on timing, so the stall comes
and goes from run to run.

Usage: python benchmarks/input_autotune.py [--rounds 3] [--steps 300]
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

SETTINGS = (True, False)


def demo_run(autotune: bool, steps: int, outputs: Path, data_dir: Path) -> dict[str, float]:
    """One short demo run; its img/s, wall, seconds outside the phases and final loss."""
    command = [sys.executable, "-m", "sweep", "experiment=demo", f"train.num_steps={steps}",
               f"train.eval_every={steps}", f"train.checkpoint_every={steps}",
               f"train.input_autotune={str(autotune).lower()}", f"paths.outputs={outputs}",
               f"paths.data_dir={data_dir}"]
    tic = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - tic
    (path,) = outputs.glob("runs/*/metrics.json")
    metrics = json.loads(path.read_text())
    last_checkpoint = max(path.parent.glob("ckpt-*.index"), key=lambda p: p.stat().st_mtime)
    return {"img_s": metrics["images_per_second"], "wall": wall,
            "outside": wall - sum(metrics["phase_seconds"].values()),
            "end": (path.parent / "detections.json").stat().st_mtime
            - last_checkpoint.stat().st_mtime,
            "loss": metrics["final_train_losses"]["Loss/total_loss"]}


def _spread(values: list[float]) -> str:
    return (f"{', '.join(f'{v:.1f}' for v in values)} | {statistics.median(values):.1f} "
            f"({min(values):.1f}-{max(values):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    runs: dict[bool, list[dict[str, float]]] = {s: [] for s in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        render_demo(Path(tmp) / "dry", f"paths.data_dir={data_dir}")
        for round_number in range(args.rounds):
            for autotune in SETTINGS:
                outputs = Path(tmp) / f"round{round_number}-{autotune}"
                runs[autotune].append(demo_run(autotune, args.steps, outputs, data_dir))
                print(f"round {round_number + 1}, autotune {autotune}: "
                      f"{runs[autotune][-1]}", file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/input_autotune.py --rounds {args.rounds} "
          f"--steps {args.steps}")
    print()
    print("| autotune | img/s per round | median (min-max) | outside the phases, s | median "
          "(min-max) | last checkpoint to detections.json, s | median (min-max) "
          "| final total loss |")
    print("|---|---|---|---|---|---|---|---|")
    for autotune in SETTINGS:
        rows = runs[autotune]
        losses = ", ".join(f"{r['loss']:.6f}" for r in rows)
        print(f"| {'on' if autotune else 'off'} | {_spread([r['img_s'] for r in rows])} "
              f"| {_spread([r['outside'] for r in rows])} "
              f"| {_spread([r['end'] for r in rows])} | {losses} |")
    ratios = [off["img_s"] / on["img_s"] for on, off in zip(runs[True], runs[False],
                                                             strict=True)]
    print(f"\nimg/s off / on, per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
