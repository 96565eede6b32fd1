"""PNG charts of runs and trials, drawn with matplotlib's file-only backend (no TensorFlow).

Shared by the report and the dashboard artifacts, so both show the same picture.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

AP50 = "AP@.50IOU"


@contextmanager
def _figure(path: Path, size: tuple[float, float]) -> Iterator[Any]:
    """Axes to draw on; on success the figure is laid out and written as PNG to ``path``.

    The figure is closed either way: reports draw many, and pyplot keeps every open one.
    """
    fig, ax = plt.subplots(figsize=size, dpi=100)
    try:
        yield ax
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def per_class_bar_chart(per_class: Mapping[str, Mapping[str, float]], path: Path,
                        title: str = "per-class AP@.50") -> Path:
    """Horizontal bars of each class's AP@.50, best class at the top, saved to `path`.

    `per_class` is metrics.json's `per_class`: {class name: {"AP@.50IOU": .., "AP": ..}}.
    A class without ground truth in the val set has no AP and is left out.
    """
    scored = sorted(
        ((name, float(ap[AP50])) for name, ap in per_class.items()
         if ap.get(AP50) is not None and float(ap[AP50]) >= 0),
        key=lambda item: item[1],
    )
    if not scored:
        raise ValueError("no class has an AP@.50 to plot")
    names = [name for name, _ in scored]
    values = [value for _, value in scored]
    with _figure(path, (6.0, 0.9 + 0.28 * len(scored))) as ax:
        bars = ax.barh(names, values, color="tab:blue")
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2, fontsize=8)
        ax.set_xlim(0.0, 1.08)
        ax.set_xlabel("AP@.50 (COCO, IoU 0.5)")
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=8)
    return path


@dataclass(frozen=True)
class Curve:
    """One trial's (or run's) metric per evaluation step, and how it ended."""

    name: str
    steps: tuple[int, ...]
    values: tuple[float, ...]
    #: COMPLETE, PRUNED, FAIL, RUNNING or WAITING (a plain finished run is COMPLETE).
    state: str = "COMPLETE"


#: More cut curves than this are not named on the plot (the trials table names them).
MAX_NAMED_CUTS = 8
# Colour and end marker per state: a pruned curve ends in a cross where the pruner cut it.
_STYLES = {
    "COMPLETE": ("tab:blue", "-", None),
    "PRUNED": ("tab:orange", "--", "X"),
    "FAIL": ("tab:red", ":", "x"),
    "RUNNING": ("tab:green", "-.", ">"),
    "WAITING": ("tab:gray", ":", None),
}


def learning_curves(curves: Sequence[Curve], path: Path, ylabel: str,
                    best: Collection[str] = (), best_label: str | None = None,
                    title: str | None = None) -> Path:
    """All curves on one axis, styled by state; the `best` ones (a trial, or the seeds of
    the best configuration) drawn thick, with `best_label` in the legend.

    The legend names states rather than trials, so fifty trials stay readable.
    """
    drawn = [curve for curve in curves if curve.steps]
    if not drawn:
        raise ValueError("no curve has an evaluation to plot")
    cut = [curve for curve in drawn if _STYLES.get(curve.state, _STYLES["COMPLETE"])[2]]
    name_cuts = len(cut) <= MAX_NAMED_CUTS
    with _figure(path, (7.0, 4.5)) as ax:
        labelled: set[str] = set()
        for curve in drawn:
            colour, style, marker = _STYLES.get(curve.state, _STYLES["COMPLETE"])
            is_best = curve.name in best
            key = "best" if is_best else curve.state
            label = None if key in labelled else (
                f"best: {best_label or curve.name}" if is_best else curve.state.lower())
            labelled.add(key)
            ax.plot(curve.steps, curve.values, linestyle=style, marker=".",
                    color="black" if is_best else colour, linewidth=2.5 if is_best else 1.2,
                    alpha=1.0 if is_best else 0.75, label=label, zorder=3 if is_best else 2)
            if marker is not None:
                ax.plot(curve.steps[-1:], curve.values[-1:], marker=marker, markersize=9,
                        color=colour, linestyle="none", alpha=0.8, zorder=4)
                if name_cuts:
                    ax.annotate(curve.name, (curve.steps[-1], curve.values[-1]), fontsize=7,
                                xytext=(4, -10), textcoords="offset points", color=colour)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("training step")
        ax.set_ylabel(ylabel)
        ax.set_title(title or f"{ylabel} at each evaluation")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return path


@dataclass(frozen=True)
class ParetoPoint:
    """One COMPLETE trial in the plane of two objectives."""

    name: str
    x: float
    y: float
    on_front: bool


def pareto_chart(points: Sequence[ParetoPoint], path: Path, xlabel: str, ylabel: str,
                 x_maximize: bool, title: str = "Pareto front") -> Path:
    """Every trial as a dot, the Pareto-optimal ones highlighted, named and joined by the
    staircase that bounds what the study has reached.

    The step sits where a trade-off starts: along the front sorted by x, an x a little
    beyond a front point's is reached only by the next point, so with x maximized the
    line jumps at each point ('pre'), and with x minimized just before the next ('post').
    """
    if not points:
        raise ValueError("no trial to plot")
    others = [p for p in points if not p.on_front]
    front = sorted((p for p in points if p.on_front), key=lambda p: p.x)
    with _figure(path, (7.0, 4.5)) as ax:
        if others:
            ax.scatter([p.x for p in others], [p.y for p in others], s=28, color="tab:gray",
                       alpha=0.7, label="dominated trial", zorder=2)
        if front:
            ax.step([p.x for p in front], [p.y for p in front],
                    where="pre" if x_maximize else "post", color="tab:red", linewidth=1.4,
                    alpha=0.8, zorder=3)
            ax.scatter([p.x for p in front], [p.y for p in front], s=60, color="tab:red",
                       edgecolor="black", label="Pareto-optimal trial", zorder=4)
            for point in front:
                ax.annotate(point.name, (point.x, point.y), fontsize=7, xytext=(5, 4),
                            textcoords="offset points")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return path
