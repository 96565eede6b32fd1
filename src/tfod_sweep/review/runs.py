"""The report of plain runs (no study): logbook tables, learning curves, the best run's evidence.

Runs come from their metrics.json files, the only record a plain run or a basic-sweeper
grid has. Runs differing only in train.seed share a row (mean ± std (n)); the best row
is the one with the highest mean of its optimized metric (mAP: higher is better).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tfod_sweep.review.document import Document, Figure, Heading, Note, Text
from tfod_sweep.review.evidence import best_run_evidence
from tfod_sweep.review.logbook import (
    baseline_verdict,
    group_by_seed,
    logbook_table_data,
    merge_seeds,
    short_metric_name,
)
from tfod_sweep.review.plots import Curve, learning_curves

CURVES_FILE = "curves.png"
#: Key the CLI adds to each run: the folder its metrics.json was read from.
SOURCE_DIR = "source_dir"


def _curve(run: Mapping[str, Any], several_seeds: bool) -> Curve:
    metric = run.get("optimized_metric")
    points = [(int(e["step"]), float(e[metric])) for e in run.get("evaluations") or []
              if metric in e and e.get("step") is not None]
    name = str(run.get("name"))
    if several_seeds and run.get("seed") is not None:
        name += f" seed {run['seed']}"
    return Curve(name, tuple(s for s, _ in points), tuple(v for _, v in points))


def _best(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """Index of the row with the highest mean of its optimized metric."""
    scored = [i for i, row in enumerate(rows) if row.get("seed_values") is not None]
    return max(scored, key=lambda i: rows[i]["seed_values"].mean) if scored else None


def runs_document(runs: Sequence[Mapping[str, Any]], out: Path, title: str) -> Document:
    """Build the report of finished runs (metrics.json mappings), drawing PNGs into `out`."""
    groups = group_by_seed(runs)
    rows = [merge_seeds(group, group[0]["name"]) for group in groups]
    doc = Document(title)
    doc.add(*logbook_table_data(rows))
    text = baseline_verdict(rows)
    if text:
        doc.add(Text(tuple(text.splitlines()), caption="Best vs baseline"))
    metric = short_metric_name(str(runs[0].get("optimized_metric") or "metric"))
    curves = [_curve(run, len(group) > 1) for group in groups for run in group]
    best = _best(rows)
    doc.add(Heading("Learning curves"))
    if any(curve.steps for curve in curves):
        best_names = () if best is None else tuple(
            _curve(run, len(groups[best]) > 1).name for run in groups[best])
        learning_curves(curves, out / CURVES_FILE, metric, best=best_names,
                        best_label=None if best is None else str(rows[best]["name"]))
        doc.add(Figure(CURVES_FILE, f"{metric} at each evaluation of every run"))
    else:
        doc.add(Note("learning curves: not drawn, no run recorded its evaluations"))
    doc.add(Heading("Best run"))
    if best is None:
        doc.add(Note("best run: none, no run recorded its optimized metric"))
    else:
        source = rows[best].get(SOURCE_DIR)  # the best configuration's first (seed's) run
        label = Path(source).name if source else str(rows[best]["name"])
        doc.add(*best_run_evidence(Path(source) if source else None, label, out))
    return doc
