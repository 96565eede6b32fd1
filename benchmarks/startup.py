"""Median wall time of the TF-free paths: `--help`, `--cfg job` and composing a config.

Usage: python benchmarks/startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -m sweep --help": ["-m", "sweep", "--help"],
    "python -m sweep model=centernet512 --cfg job": ["-m", "sweep", "model=centernet512",
                                                     "--cfg", "job"],
    "python -c 'import tensorflow' (for scale)": ["-c", "import tensorflow"],
}


def median_seconds(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print("| command | median s |")
    print("|---|---|")
    for label, command in COMMANDS.items():
        print(f"| `{label}` | {median_seconds(command, args.repeats):.2f} |")


if __name__ == "__main__":
    main()
