"""`python -m sweep.report PATH...`: the seed document's AP / AR / loss tables from finished runs.

PATH is a run dir, a multirun or study dir (searched for metrics.json), or a metrics.json.
Runs that differ only in train.seed share a row showing mean ± std (n) of every metric;
for a study, the best trial is compared with its baseline against the seed noise.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tfod_sweep.errors import BAD_INPUT
from tfod_sweep.report import baseline_verdict, group_by_seed, merge_seeds, seed_tables
from tfod_sweep.run_metrics import RunMetrics


def _natural_key(path: Path) -> list[object]:
    """Order trial_2 before trial_10."""
    return [int(part) if part.isdigit() else part
            for part in re.split(r"(\d+)", str(path))]


def _run_name(run_dir: Path) -> str:
    """`trial_5` for a study's `trial_5/seed_1/`, else the run dir's own name."""
    if run_dir.name.startswith("seed_") and run_dir.parent.name:
        return run_dir.parent.name
    return run_dir.name


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
            run = RunMetrics.load(file)
            if run.finished:  # skip runs that never finished (pruned, still running)
                runs.append({**run.to_dict(), "name": _run_name(file.parent)})
    except (OSError, ValueError) as error:  # ValueError: not JSON, or not our record
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    if not runs:
        print("error: no finished run (metrics.json with a final evaluation) found",
              file=sys.stderr)
        return BAD_INPUT
    rows = [merge_seeds(group, group[0]["name"]) for group in group_by_seed(runs)]
    text = seed_tables(rows) + "\n"
    verdict = baseline_verdict(rows)
    if verdict:
        text += "\n**Best vs baseline**\n\n" + verdict + "\n"
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
