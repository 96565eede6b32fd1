"""What `train.deterministic=true` costs in training throughput, measured side by side.

Runs the demo experiment for a few hundred steps with determinism on and off,
interleaved (on, off, on, off, ...) so that both sides see the same machine load, and
reads images/s from each run's metrics.json (first step, i.e. tracing, excluded).

Usage: python benchmarks/determinism.py [--repeats 3] [--steps 150] [overrides ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cpu_name() -> str:
    """CPU model, core count and whether it has AVX-512 (machines differ ~2x on that)."""
    model, flags = platform.processor() or "unknown CPU", ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name") and model.startswith(("unknown", "x86")):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line
    avx512 = "AVX-512" if "avx512f" in flags else "no AVX-512"
    return f"{model}, {os.cpu_count()} cores, {avx512}"


def render_demo(outputs: Path, *overrides: str) -> Path:
    """Render the demo without training (its dataset and pipeline.config); return the config.

    Benchmarks call it once before their timed runs, so no timed run generates data.
    """
    subprocess.run([sys.executable, "-m", "sweep", "experiment=demo", "dry_run=true",
                    f"paths.outputs={outputs}", *overrides], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (config,) = outputs.glob("runs/*/pipeline.config")
    return config


def images_per_second(deterministic: bool, steps: int, overrides: list[str],
                      workdir: Path, data_dir: Path) -> float:
    """Train once and return the run's own images/s."""
    outputs = Path(tempfile.mkdtemp(dir=workdir))
    command = [sys.executable, "-m", "sweep", "experiment=demo", f"train.num_steps={steps}",
               f"train.eval_every={steps}", f"train.checkpoint_every={steps}",
               "eval.max_images=8", f"train.deterministic={str(deterministic).lower()}",
               f"paths.outputs={outputs}", f"paths.data_dir={data_dir}", *overrides]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    (metrics,) = outputs.glob("runs/*/metrics.json")
    return float(json.loads(metrics.read_text())["images_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("overrides", nargs="*", help="extra `python -m sweep` overrides")
    args = parser.parse_args()
    results: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for repeat in range(args.repeats):
            for deterministic in (True, False):
                value = images_per_second(deterministic, args.steps, args.overrides,
                                          workdir, workdir / "data")
                results[deterministic].append(value)
                print(f"repeat {repeat + 1}: deterministic={deterministic}: {value:.2f} img/s",
                      file=sys.stderr)
    print(f"CPU: {cpu_name()}")
    print(f"command: python benchmarks/determinism.py --repeats {args.repeats} "
          f"--steps {args.steps} {' '.join(args.overrides)}".rstrip())
    print()
    print("| train.deterministic | runs (img/s) | median | min | max |")
    print("|---|---|---|---|---|")
    for deterministic, values in results.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {str(deterministic).lower()} | {shown} | {statistics.median(values):.1f} | "
              f"{min(values):.1f} | {max(values):.1f} |")
    ratio = statistics.median(results[True]) / statistics.median(results[False])
    pairs = [on / off for on, off in zip(results[True], results[False], strict=True)]
    print()
    print(f"ratio of medians (on / off): {ratio:.3f}; per interleaved pair: "
          + ", ".join(f"{p:.3f}" for p in pairs))


if __name__ == "__main__":
    main()
