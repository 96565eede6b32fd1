"""PNG charts of a run's results, drawn with matplotlib's file-only backend (no TensorFlow).

Shared by the report and the dashboard artifacts, so both show the same picture.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt  # noqa: E402

AP50 = "AP@.50IOU"


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
    fig, ax = plt.subplots(figsize=(6.0, 0.9 + 0.28 * len(scored)), dpi=100)
    try:
        bars = ax.barh(names, values, color="tab:blue")
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2, fontsize=8)
        ax.set_xlim(0.0, 1.08)
        ax.set_xlabel("AP@.50 (COCO, IoU 0.5)")
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
