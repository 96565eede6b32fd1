"""A study's report: its trials, the logbook tables, the verdict and every plot, as a Document.

A multi-objective study gets its Pareto front (`pareto`) in place of the best
trial and the verdict, and one column per objective in the trials table.

Read-only over the storage, so it works while the study runs (RUNNING trials show as
such, with their curve so far) and on studies with FAIL and PRUNED trials. The PNGs are
written into the report folder as the document is built; the caller writes the text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from tfod_sweep.errors import SweepError
from tfod_sweep.metric_names import INFERENCE_METRICS
from tfod_sweep.review import study_plots
from tfod_sweep.review.document import Block, Document, Figure, Heading, Note, Text, table
from tfod_sweep.review.evidence import best_run_evidence
from tfod_sweep.review.logbook import logbook_table_data, short_metric_name
from tfod_sweep.review.pareto import pareto_blocks, pareto_numbers
from tfod_sweep.review.plots import Curve, learning_curves
from tfod_sweep.review.race import race_blocks, race_choice, race_record
from tfod_sweep.review.trials import (
    TrialRow,
    best_row,
    format_param,
    format_value,
    params_of,
    trial_rows,
    verdict,
)

CURVES_FILE = "curves.png"
HISTORY_FILE = "history.png"
IMPORTANCE_FILE = "importances.png"
CONTOUR_FILE = "contour.png"
SLICES_FILE = "slices.png"
_STATE_ORDER = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


def objective_names(study: optuna.Study, fallback: str | None) -> list[str]:
    """One name per objective: the study's metric names, else `fallback` (the app's
    optimized_metric) for a single objective, else Optuna's generic ones."""
    names = study.metric_names
    count = len(study.directions)
    if names and len(names) == count:
        return [str(name) for name in names]
    if count == 1:
        return [short_metric_name(fallback) if fallback else "Objective Value"]
    return [f"Objective {index}" for index in range(count)]


def objective_name(study: optuna.Study, fallback: str | None) -> str:
    """The (first) objective's name."""
    return objective_names(study, fallback)[0]


def _trials_table(rows: list[TrialRow], targets: list[str]) -> Block:
    params = params_of(rows)
    headers = ("trial", "state", *targets, *params, "steps", "note")
    baseline = min((row.number for row in rows if row.enqueued), default=None)
    cells = []
    for row in rows:
        origin = "baseline (first enqueued)" if row.number == baseline else (
            "enqueued" if row.enqueued else "")
        note = "; ".join(part for part in (origin, row.note) if part)
        values = [format_value(v) for v in row.objective_seeds] or [""] * len(targets)
        cells.append((row.name, row.state, *values,
                      *(format_param(row.params[p]) if p in row.params else "" for p in params),
                      "" if row.steps is None else str(row.steps), note))
    return table("Trials", headers, cells)


def _race_pick(race: dict[str, Any], rows: list[TrialRow], maximize: bool,
               best: TrialRow | None) -> tuple[TrialRow | None, str]:
    """The run a race ships (as sweep.export picks it), and the reason, for the summary."""
    try:
        number, why = race_choice(race, maximize)
    except SweepError:
        return best, "best run so far (the race has no verdict yet)"
    return next((row for row in rows if row.name == f"trial_{number}"), best), why


def _summary(study: optuna.Study, rows: list[TrialRow], storage: str,
             best: TrialRow | None, why: str = "best") -> Text:
    counts = Counter(row.state for row in rows)
    states = ", ".join(f"{state} {counts[state]}" for state in _STATE_ORDER if counts[state])
    directions = [direction.name.lower() for direction in study.directions]
    lines = [f"storage: {storage}",
             f"direction{'s' * (len(directions) > 1)}: {', '.join(directions)}; {len(rows)} "
             f"trial{'s' * (len(rows) != 1)}: {states or 'none'}"]
    if best is not None:
        params = ", ".join(f"{k}={format_param(v)}" for k, v in best.params.items())
        lines.append(f"{why}: {best.name}, {format_value(best.seed_values)}, {params}")
    if len(directions) > 1:
        front = ", ".join(f"trial_{number}" for number in pareto_numbers(study))
        lines.append(f"Pareto-optimal: {front or 'none yet'}")
    return Text(tuple(lines))


def _figure(draw: Callable[[], Path], caption: str) -> Block:
    """A Figure when the plot function drew its file, else the Note saying why not."""
    try:
        path = draw()
    except study_plots.Skipped as skipped:
        return Note(str(skipped))
    return Figure(path.name, caption)


def _importance_caption(study: optuna.Study, target: str) -> str:
    complete = len(study_plots.complete_trials(study))
    quantile = study_plots.importance_quantile(complete)
    top = math.ceil(quantile * complete)
    return (f"PED-ANOVA importance of each parameter for reaching the top {quantile:.0%} of "
            f"{target} ({top} of {complete} COMPLETE trials)")


def _first_objective(trial: optuna.trial.FrozenTrial) -> float:
    return float(trial.values[0])


def _curve_name(names: list[str]) -> str:
    """What the learning curves show: the first objective an evaluation computes (the
    run reports that one per evaluation; latency and size exist only at the end)."""
    return next((name for name in names if name not in INFERENCE_METRICS), "mAP@.50")


def _plots(study: optuna.Study, rows: list[TrialRow], best: TrialRow | None,
           names: list[str], out: Path) -> list[Block]:
    """Curves, history, importances, slices and contour; with several objectives, Optuna's
    plots show the first one (their captions say so)."""
    blocks: list[Block] = [Heading("Learning curves")]
    curve_name = _curve_name(names)
    curves = [Curve(row.name, tuple(s for s, _ in row.curve), tuple(v for _, v in row.curve),
                    row.state) for row in rows]
    if any(curve.steps for curve in curves):
        learning_curves(curves, out / CURVES_FILE, curve_name,
                        best=(best.name,) if best else ())
        blocks.append(Figure(CURVES_FILE, f"{curve_name} at each evaluation, every trial; a "
                                          "pruned trial ends in a cross where the pruner cut it"))
    else:
        blocks.append(Note("learning curves: not drawn, no trial reported an evaluation yet"))
    target, plotted = names[0], None
    suffix = ""
    if len(names) > 1:
        plotted, suffix = _first_objective, f" (the first objective, {names[0]})"
    blocks += [
        Heading("Optimization history"),
        _figure(lambda: study_plots.optimization_history(study, out / HISTORY_FILE, target,
                                                         plotted),
                "every COMPLETE trial's value and the best so far" + suffix),
        Heading("Parameter importances"),
        _figure(lambda: study_plots.param_importances(study, out / IMPORTANCE_FILE, target,
                                                      plotted),
                _importance_caption(study, target)),
        Heading("Slices"),
        _figure(lambda: study_plots.slices(study, out / SLICES_FILE, target, plotted),
                f"{target} against each parameter; darker dots are later trials"),
    ]
    blocks.append(Heading("Contour"))
    pair = study_plots.contour_pair(study)
    if pair is None:
        blocks.append(Note("contour: not drawn, the study has fewer than two numeric parameters"))
    else:
        blocks.append(_figure(
            lambda: study_plots.contour(study, pair, out / CONTOUR_FILE, target, plotted),
            f"{target} over {pair[0]} x {pair[1]}"))
    return blocks


def study_document(study: optuna.Study, out: Path, *, storage: str,
                   study_dir: Path | None = None, target: str | None = None) -> Document:
    """Build the report of `study`, drawing its PNGs into `out`.

    Args:
        study: the loaded study (any storage).
        out: the report folder; PNGs are written here.
        storage: the storage as it may be shown (a URL with its password masked).
        study_dir: `<outputs>/studies/<name>`, to find trial dirs without a run_dir attr.
        target: the objective's name when the study has no metric name set.
    """
    multi = len(study.directions) > 1
    maximize = study.directions[0].name == "MAXIMIZE"
    names = objective_names(study, target)
    rows = trial_rows(study, study_dir)
    best = None if multi else best_row(rows, maximize)
    race = race_record(study.user_attrs)
    why = "best"
    if race is not None and not multi:  # a race's answer is its verdict, not its best run
        best, why = _race_pick(race, rows, maximize, best)
    doc = Document(f"Study {study.study_name}")
    doc.add(_summary(study, rows, storage, best, why), _trials_table(rows, names))
    if multi:
        doc.add(*pareto_blocks(study, rows, names, out))
    elif race is not None:  # a race's answer comes from its confirmation, not the best run
        doc.add(*race_blocks(race, out))
    else:
        text = verdict(rows, maximize)
        doc.add(Text(tuple(f"{names[0]}, {text}".splitlines()), caption="Best vs baseline")
                if text else Note("best vs baseline: no COMPLETE trial yet"))
    doc.add(*_plots(study, rows, best, names, out))
    doc.add(Heading("Best trial"))
    if multi:
        doc.add(Note("best trial: a multi-objective study has no single best; see the "
                     "Pareto-optimal trials above"))
    elif best is None:
        doc.add(Note("best trial: none yet, no trial is COMPLETE"))
    else:
        doc.add(*best_run_evidence(best.run_dir, best.name, out))
    doc.add(Heading("Logbook tables"),  # the numbers last: people look before they read
            Text(("The last evaluation of each trial (a pruned one's is where it stopped); "
                  "mean ± std (n) over the seeds whose metrics.json is readable.",)),
            *logbook_table_data([row.metrics for row in rows]))
    return doc

