"""A study's Optuna plots as PNG files: history, importances, slices, a contour (TF-free).

A multi-objective study also gets its Pareto front (our own chart, `plots.pareto_chart`);
Optuna's other plots then need a `target`, and the report passes its first objective.

Drawn by Optuna's own matplotlib visualizations, so they read like optuna-dashboard's.
Each function draws one file or raises `Skipped` with the one line the report shows
instead: a study that is young, still running or mostly pruned has too few COMPLETE
trials for some plots, and that is a fact to state, not an error.

Importances use PED-ANOVA, the evaluator optuna-dashboard 0.21 uses, so both review
tools rank parameters alike; fANOVA would also need scikit-learn, which we do not declare.
PED-ANOVA asks which parameter values the top trials share, and its docs want at least
5 trials in that top set: the report takes the top 10 % as the dashboard does once a
study has 50 COMPLETE trials, and the top 5 trials (at most the top half) before that.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
from optuna.distributions import CategoricalDistribution  # noqa: E402
from optuna.importance import PedAnovaImportanceEvaluator  # noqa: E402
from optuna.trial import TrialState  # noqa: E402
from optuna.visualization import matplotlib as optuna_plots  # noqa: E402

from tfod_sweep.review.plots import ParetoPoint, pareto_chart  # noqa: E402

#: Below this many COMPLETE trials an importance ranks noise; the report says so instead.
MIN_TRIALS_IMPORTANCE = 5
#: PED-ANOVA's docs: at least this many trials in the top set.
MIN_TOP_TRIALS = 5
#: A contour interpolates between trials; with fewer it is a picture of nothing.
MIN_TRIALS_CONTOUR = 4
#: The pair the focal-loss study is about; other studies get their first two numbers.
CONTOUR_PAIR = ("gamma", "alpha")


class Skipped(Exception):
    """A plot was not drawn; the message says why, in one line."""


def complete_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials Optuna's plots use: COMPLETE ones with a value."""
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _need(study: optuna.Study, count: int, what: str) -> None:
    have = len(complete_trials(study))
    if have < count:
        raise Skipped(f"{what}: not drawn, {have} COMPLETE trial{'s' * (have != 1)} "
                      f"(needs {count})")


def _save(draw: Callable[[], Any], path: Path) -> Path:
    """Run an Optuna plot function and save its figure; the figure is always closed."""
    # Optuna switches the global style to ggplot; the context puts it back afterwards.
    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
        axes = draw()
        first = axes.flat[0] if hasattr(axes, "flat") else axes
        fig = first.figure
        try:
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png", dpi=100)
        finally:
            plt.close(fig)
    return path


#: Which number of a trial a plot shows: None is its value (single objective only).
Target = Callable[[optuna.trial.FrozenTrial], float] | None


def optimization_history(study: optuna.Study, path: Path, target_name: str,
                         target: Target = None) -> Path:
    """Each COMPLETE trial's value and the best so far."""
    _need(study, 1, "optimization history")
    return _save(lambda: optuna_plots.plot_optimization_history(
        study, target=target, target_name=target_name), path)


def importance_quantile(complete: int) -> float:
    """The top fraction PED-ANOVA studies: 10 %, widened to hold 5 trials, at most half."""
    return min(0.5, max(0.1, MIN_TOP_TRIALS / max(complete, 1)))


def param_importances(study: optuna.Study, path: Path, target_name: str,
                      target: Target = None) -> Path:
    """PED-ANOVA importance of each parameter for reaching the study's top trials."""
    _need(study, MIN_TRIALS_IMPORTANCE, "parameter importances")
    complete = complete_trials(study)
    if len({trial.value if target is None else target(trial) for trial in complete}) < 2:
        raise Skipped("parameter importances: not drawn, every COMPLETE trial has the same "
                      "value")
    evaluator = PedAnovaImportanceEvaluator(target_quantile=importance_quantile(len(complete)))
    return _save(lambda: optuna_plots.plot_param_importances(
        study, evaluator=evaluator, target=target, target_name=target_name), path)


def searched_params(study: optuna.Study) -> dict[str, optuna.distributions.BaseDistribution]:
    """Every parameter a trial drew, in the order trials first drew them."""
    found: dict[str, optuna.distributions.BaseDistribution] = {}
    for trial in study.get_trials(deepcopy=False):
        for name, distribution in trial.distributions.items():
            found.setdefault(name, distribution)
    return found


def slices(study: optuna.Study, path: Path, target_name: str, target: Target = None) -> Path:
    """The objective against each parameter, one panel each, one dot per COMPLETE trial.

    One figure rather than one per parameter: half the drawing time, and the panels
    share the objective's axis, so they compare at a glance.
    """
    _need(study, 1, "slices")
    return _save(lambda: optuna_plots.plot_slice(study, target=target,
                                                 target_name=target_name), path)


def contour_pair(study: optuna.Study) -> tuple[str, str] | None:
    """gamma x alpha when the study searches both, else its first two numeric parameters."""
    params = searched_params(study)
    by_leaf = {name.rsplit(".", 1)[-1]: name for name in params}
    if all(leaf in by_leaf for leaf in CONTOUR_PAIR):
        return by_leaf[CONTOUR_PAIR[0]], by_leaf[CONTOUR_PAIR[1]]
    numeric = [name for name, distribution in params.items()
               if not isinstance(distribution, CategoricalDistribution)]
    return (numeric[0], numeric[1]) if len(numeric) >= 2 else None


def contour(study: optuna.Study, pair: tuple[str, str], path: Path, target_name: str,
            target: Target = None) -> Path:
    """The objective over two parameters, interpolated between COMPLETE trials."""
    _need(study, MIN_TRIALS_CONTOUR, f"contour of {pair[0]} x {pair[1]}")
    return _save(lambda: optuna_plots.plot_contour(
        study, params=list(pair), target=target, target_name=target_name), path)


def pareto_front(study: optuna.Study, path: Path, names: list[str]) -> Path:
    """The first objective against the second: every COMPLETE trial, the front highlighted.

    The front is Optuna's own (`best_trials`, over all objectives); with more than two
    objectives this is its projection on the first two, and the caption says so.
    """
    if len(study.directions) < 2:
        raise Skipped("Pareto front: not drawn, the study has a single objective")
    _need(study, 1, "Pareto front")
    front = {trial.number for trial in study.best_trials}
    points = [ParetoPoint(f"trial_{t.number}", float(t.values[0]), float(t.values[1]),
                          t.number in front) for t in complete_trials(study)]
    x_dir, y_dir = (d.name.lower() for d in study.directions[:2])
    return pareto_chart(points, path, f"{names[0]} ({x_dir})", f"{names[1]} ({y_dir})",
                        x_maximize=x_dir == "maximize",
                        title=f"Pareto front: {len(front)} of {len(points)} COMPLETE trials")
