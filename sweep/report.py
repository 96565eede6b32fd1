"""`python -m sweep.report PATH...`: the seed document's AP / AR / loss tables from finished runs.

PATH is a run dir, a multirun or study dir (searched for metrics.json), or a metrics.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from tfod_sweep.report import seed_tables


def _natural_key(path: Path) -> list[object]:
    """Order trial_2 before trial_10."""
    return [int(part) if part.isdigit() else part
            for part in re.split(r"(\d+)", str(path))]


def find_metrics(paths: list[Path]) -> list[Path]:
    """metrics.json files under `paths`, in a stable order (by trial/run directory)."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(path.rglob("metrics.json"), key=_natural_key))
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.report", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path, help="run/multirun/study dirs")
    parser.add_argument("--out", type=Path, help="write the markdown here instead of stdout")
    args = parser.parse_args(argv)
    try:
        files = find_metrics(args.paths)
        runs = []
        for file in files:
            run = json.loads(file.read_text())
            if "final" in run:  # skip runs that never finished an evaluation
                runs.append({**run, "name": file.parent.name})
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not runs:
        print("error: no finished run (metrics.json with a final evaluation) found",
              file=sys.stderr)
        return 2
    text = seed_tables(runs) + "\n"
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
