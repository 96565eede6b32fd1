"""The report section of a multi-objective study: its Pareto-optimal trials and front (TF-free).

A study with several objectives (mAP@.50 and latency, say) has no single best trial, so
the report shows the trials no other trial beats on every objective, as a table and as
a chart of the first objective against the second. The front is Optuna's own
(`Study.best_trials`), the one optuna-dashboard and `sweep.export` name too.
"""

from __future__ import annotations

from pathlib import Path

import optuna

from tfod_sweep.review import study_plots
from tfod_sweep.review.document import Block, Figure, Heading, Note, Text, table
from tfod_sweep.review.trials import TrialRow, format_param, format_value, params_of

PARETO_FILE = "pareto.png"
#: What the report says instead of a best-vs-baseline verdict.
NO_VERDICT = "applies to single-objective studies only (this study has {n} objectives)"


def pareto_numbers(study: optuna.Study) -> list[int]:
    """Numbers of the Pareto-optimal COMPLETE trials, in order."""
    return sorted(trial.number for trial in study.best_trials)


def pareto_blocks(study: optuna.Study, rows: list[TrialRow], names: list[str],
                  out: Path) -> list[Block]:
    """The Pareto front as a table and a PNG, and why there is no verdict."""
    front = set(pareto_numbers(study))
    front_rows = [row for row in rows if row.number in front]
    blocks: list[Block] = [Heading("Pareto front")]
    if not front_rows:
        blocks.append(Note("Pareto front: none yet, no trial is COMPLETE"))
    else:
        params = params_of(front_rows)
        cells = [(row.name, *(format_value(values) for values in row.objective_seeds),
                  *(format_param(row.params[p]) if p in row.params else "" for p in params))
                 for row in front_rows]
        blocks.append(table("Pareto-optimal trials", ("trial", *names, *params), cells))
        blocks.append(_figure(study, names, out))
    blocks.append(Text((NO_VERDICT.format(n=len(study.directions)),),
                       caption="Best vs baseline"))
    return blocks


def _figure(study: optuna.Study, names: list[str], out: Path) -> Block:
    try:
        path = study_plots.pareto_front(study, out / PARETO_FILE, names)
    except study_plots.Skipped as skipped:
        return Note(str(skipped))
    caption = (f"{names[0]} against {names[1]}: every COMPLETE trial, the Pareto-optimal "
               "ones highlighted and joined by the front's staircase")
    if len(names) > 2:
        caption += f" (the front is over all {len(names)} objectives, drawn on the first two)"
    return Figure(path.name, caption)
