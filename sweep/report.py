"""`python -m sweep.report PATH... [--out DIR] [--storage S] [--study NAME]`: a review folder.

PATH is a study dir (`outputs/studies/<name>`), a run dir, a multirun dir or a metrics.json.

A study is read from its Optuna storage, the source of truth: every trial with its
parameters, state (COMPLETE / PRUNED / FAIL with its reason / RUNNING) and steps, the
logbook tables (mean ± std (n) over a trial's seeds), the best-vs-baseline verdict, and
plots: mAP@.50 per step for every trial (pruned ones end in a cross), optimization
history, PED-ANOVA importances, a slice panel per parameter, a gamma x alpha contour,
and the best trial's per-class AP@.50 and preview.png. A multi-objective study has no
best trial: it shows one column per objective, its Pareto-optimal trials and pareto.png
(the first objective against the second, every COMPLETE trial, the front joined by its
staircase), and Optuna's plots of its first objective. Which storage and study:
--storage/--study; else the study dir's multirun.yaml (hydra.sweeper.storage and
study_name, relative to the sweep's working dir; ${oc.env:...} read from the
environment); else a journal.log beside the study dir (tfod_sweep/review/source.py).
A password in a database URL is never shown.
Plain runs are read from their metrics.json files: runs that differ only in train.seed
share a row of mean ± std (n), with learning curves and the best run's evidence.

Writes DIR (default `<first PATH>/report/`, or `./report_<study>/` with only --storage):
`report.md`, `index.html` (the same content, images inline, no external files) and the
PNGs. stdout shows the tables as text, as before, then where the folder is.
Bad input (an unknown study, an empty dir, an unreadable storage) is one `error:` line
on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from tfod_sweep.errors import BAD_INPUT, SweepError
from tfod_sweep.review.document import MARKDOWN_FILE, Document
from tfod_sweep.review.loading import load_study
from tfod_sweep.review.runs import SOURCE_DIR
from tfod_sweep.review.source import StudySource, locate_study
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


def _finished_runs(paths: list[Path]) -> list[dict[str, Any]]:
    """Every finished run under `paths` as a metrics.json mapping with its name and dir."""
    runs = []
    try:
        for file in find_metrics(paths):
            run = RunMetrics.load(file)
            if run.finished:  # skip runs that never finished (pruned, still running)
                runs.append({**run.to_dict(), "name": _run_name(file.parent),
                             SOURCE_DIR: str(file.parent)})
    except (OSError, ValueError) as error:  # ValueError: not JSON, or not our record
        raise SweepError(str(error)) from None
    if not runs:
        raise SweepError("no finished run (metrics.json with a final evaluation) found")
    return runs


def _default_out(paths: list[Path]) -> Path:
    first = paths[0]
    return (first if first.is_dir() else first.parent) / "report"


def _clear_previous(folder: Path) -> None:
    """A folder that holds an earlier report loses its PNGs (a plot may not be drawn now)."""
    if (folder / MARKDOWN_FILE).is_file():
        for png in folder.glob("*.png"):
            png.unlink()


def _runs_report(paths: list[Path], out: Path | None) -> tuple[Document, Path]:
    from tfod_sweep.review.runs import runs_document

    runs = _finished_runs(paths)
    folder = out or _default_out(paths)
    _clear_previous(folder)
    title = f"Runs: {', '.join(str(p) for p in paths)}"
    return runs_document(runs, folder, title), folder


def _study_report(source: StudySource, out: Path | None,
                  paths: list[Path]) -> tuple[Document, Path] | None:
    """The study's report, or None when a guessed storage does not hold the study."""
    from hydra_plugins.tfod_optuna_sweeper import storage  # the plugin owns storage strings
    from tfod_sweep.review.study import study_document

    loaded = load_study(source, storage)
    if loaded is None:
        return None
    study, display = loaded
    folder = out or (_default_out(paths) if paths else Path(f"report_{study.study_name}"))
    _clear_previous(folder)
    doc = study_document(study, folder, storage=display, study_dir=source.study_dir,
                         target=source.optimized_metric)
    return doc, folder


def build(paths: list[Path], out: Path | None, storage: str | None,
          study: str | None) -> tuple[Document, Path]:
    """Locate what to report on, draw its PNGs into the folder, return the document."""
    if not paths and storage is None:
        raise SweepError("give a study, run or multirun dir, or --storage (and --study)")
    for path in paths:
        if not path.exists():
            raise SweepError(f"{path}: no such file or directory")
    source = locate_study(paths, storage, study)
    if source is not None:
        if len(paths) > 1:
            raise SweepError(f"a study is reported alone: {paths[0]} is study "
                             f"{source.study_name or '?'}, drop the other {len(paths) - 1} "
                             "path(s)")
        built = _study_report(source, out, paths)
        if built is not None:
            return built
    return _runs_report(paths, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweep.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="study, run or multirun dirs")
    parser.add_argument("--out", type=Path, help="the report folder (default <PATH>/report)")
    parser.add_argument("--storage", help="the study's storage: journal file or database URL")
    parser.add_argument("--study", help="the study's name in the storage")
    args = parser.parse_args(argv)
    try:
        doc, folder = build(args.paths, args.out, args.storage, args.study)
        markdown, page = doc.write(folder)
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    except OSError as error:  # the folder cannot be written
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return BAD_INPUT
    print(doc.markdown(figures=False), end="")
    print(f"\nreport: {page} ({markdown.name}, {len(doc.figures)} PNG files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

