"""How long finished runs took from their last checkpoint to detections.json.

That span is the final evaluation (a few seconds) plus anything that happens when the
training loop returns, such as TF 2.15 deleting an autotuned tf.data iterator, which can
wait up to a minute for the tuning thread. Reads the files' modification times, so it
works on any run dir, old ones included.

Usage: python benchmarks/end_stall.py [--over 15] RUN_DIR_OR_PARENT...
"""

from __future__ import annotations

import argparse
from pathlib import Path


def end_seconds(run_dir: Path) -> float | None:
    """Seconds from the newest checkpoint index to detections.json, or None."""
    detections = run_dir / "detections.json"
    checkpoints = list(run_dir.glob("ckpt-*.index"))
    if not detections.exists() or not checkpoints:
        return None
    newest = max(path.stat().st_mtime for path in checkpoints)
    return detections.stat().st_mtime - newest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--over", type=float, default=15.0,
                        help="count a run as stalled above this many seconds")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    run_dirs = sorted({path.parent for root in args.paths
                       for path in [root / "detections.json", *root.glob("**/detections.json")]
                       if path.exists()})
    spans = {run: end_seconds(run) for run in run_dirs}
    spans = {run: seconds for run, seconds in spans.items() if seconds is not None}
    for run, seconds in sorted(spans.items(), key=lambda item: item[1]):
        print(f"{seconds:6.1f} s  {run}")
    stalled = sorted(seconds for seconds in spans.values() if seconds > args.over)
    rest = sorted(seconds for seconds in spans.values() if seconds <= args.over)
    print(f"\n{len(stalled)} of {len(spans)} runs over {args.over:g} s "
          f"({', '.join(f'{s:.0f}' for s in stalled) or 'none'}); the rest "
          f"{rest[0]:.0f}-{rest[-1]:.0f} s" if rest else "")


if __name__ == "__main__":
    main()
