"""The logbook tables: AP, AR and losses per run, in the layout of the user's logbook (TF-free).

The logbook is the hand-made markdown record of the runs this project reproduces
(`experiment=logbook/run_N`). Printing new runs in its layout lets them be read, and
pasted, beside the old ones. Runs of one setting under several random seeds fold into
one `mean ± std (n)` row here too.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tfod_sweep.metric_names import COCO_METRICS
from tfod_sweep.registry import ARCHITECTURES, DEFAULT_ARCH, run_arch
from tfod_sweep.review.seed_stats import SeedStats, TrialSeeds, best_vs_baseline

AP_HEADERS = ("mAP", "mAP @.50IOU", "mAP @.75IOU", "mAP (small)", "mAP (medium)", "mAP (large)")
AR_HEADERS = ("AR@1", "AR@10", "AR@100", "AR@100 (small)", "AR@100 (medium)",
              "AR@100 (large)")


def short_metric_name(metric: str) -> str:
    """A metric as a plot axis shows it: `DetectionBoxes_Precision/mAP@.50IOU` -> mAP@.50IOU."""
    return metric.rsplit("/", 1)[-1]


def loss_header(metric: str) -> str:
    """The logbook's column name of a loss metric: `Loss/box/offset` -> loss_box_offset."""
    name = metric.removeprefix("Loss/").replace("/", "_")
    return name if "loss" in name else f"loss_{name}"


#: Loss columns per meta-architecture, derived from the registry's loss components.
LOSS_HEADERS = {name: tuple(map(loss_header, arch.loss_components))
                for name, arch in ARCHITECTURES.items()}


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if value != -1 else "-1"
    return str(value)


@dataclass(frozen=True)
class LogbookTable:
    """One of the logbook's tables as data, so markdown and HTML show the same cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def markdown(self) -> str:
        """``**caption**`` and a pipe table, as the logbook writes it."""
        return f"**{self.caption}**\n\n" + markdown_table(self.headers, self.rows)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A pipe table; cells go through the same number format as the logbook."""
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(_fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    total = int(round(seconds))
    return f"{total // 3600}h {total % 3600 // 60}m {total % 60}s"


def _fit_cells(cells: list[str], width: int) -> list[str]:
    """Another architecture's `name = value` loss cells in the table's `width` columns (the
    last holds any overflow), so the columns after them stay in place."""
    if len(cells) > width:
        return [*cells[:width - 1], "; ".join(cells[width - 1:])]
    return cells + [""] * (width - len(cells))


def logbook_table_data(runs: Sequence[Mapping[str, Any]]) -> list[LogbookTable]:
    """AP, AR and loss tables for runs, each a `metrics.json`-shaped mapping."""
    tail = ("steps", "total_classes", "training time")
    ap, ar, losses = [], [], []
    arch = run_arch(runs[0]) if runs else DEFAULT_ARCH
    for number, run in enumerate(runs, start=1):
        metrics = run.get("final") or {}
        extra = (run.get("steps"), run.get("num_classes"), _duration(run.get("train_seconds")))
        ap.append((run.get("name", number), *(metrics.get(k) for k in COCO_METRICS[:6]), *extra))
        ar.append((run.get("name", number), *(metrics.get(k) for k in COCO_METRICS[6:]), *extra))
        own = run_arch(run)
        loss_values = [metrics.get(k) for k in ARCHITECTURES[own].loss_components]
        if own != arch:  # as the logbook does for its CenterNet row
            loss_values = _fit_cells([f"{name} = {_fmt(v)}" for name, v in
                                      zip(LOSS_HEADERS[own], loss_values, strict=True)],
                                     len(LOSS_HEADERS[arch]))
        losses.append((run.get("name", number), *loss_values, *extra))

    def table(caption: str, headers: Sequence[str], rows: list[tuple[Any, ...]]) -> LogbookTable:
        return LogbookTable(caption, ("No", *headers, *tail),
                            tuple(tuple(_fmt(v) for v in row) for row in rows))

    return [table("Average Precision", AP_HEADERS, ap), table("Average Recall", AR_HEADERS, ar),
            table("loss", LOSS_HEADERS[arch], losses)]


def logbook_tables(runs: Sequence[Mapping[str, Any]]) -> str:
    """Render AP, AR and loss tables for runs, each a `metrics.json`-shaped mapping."""
    return "\n\n".join(table.markdown() for table in logbook_table_data(runs))


def _without_seed(config: Mapping[str, Any]) -> str:
    """The experiment as a comparable string, with train.seed taken out."""
    train = {k: v for k, v in config.get("train", {}).items() if k != "seed"}
    return json.dumps({**config, "train": train}, sort_keys=True, default=str)


def group_by_seed(runs: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Runs that differ only in `train.seed` (and, in a study, share a trial), in order.

    A run without a recorded config (written before configs were recorded) stands alone.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for index, run in enumerate(runs):
        config = run.get("config")
        trial = (run.get("trial") or {}).get("number")
        key = f"{trial}|{_without_seed(config)}" if config is not None else f"#{index}"
        groups.setdefault(key, []).append(run)
    return list(groups.values())


def _stats(values: Sequence[Any]) -> Any:
    """One value as is; several as `mean ± std (n=k)` text."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != len(values) or not numbers:
        return values[0] if values else None
    if len(numbers) == 1:
        return numbers[0]
    return SeedStats(tuple(float(v) for v in numbers)).describe()


def merge_seeds(group: Sequence[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """One metrics.json-shaped row for a group: metrics become `mean ± std (n)` text."""
    first = group[0]
    finals = [run.get("final", {}) for run in group]
    keys = [k for k in finals[0] if all(k in f for f in finals)]
    seeds = sorted(run.get("seed") for run in group if run.get("seed") is not None)
    label = f"{name} (seeds {', '.join(map(str, seeds))})" if len(group) > 1 else name
    seconds = [run["train_seconds"] for run in group if run.get("train_seconds") is not None]
    return {
        **first,
        "name": label,
        "final": {k: _stats([f[k] for f in finals]) for k in keys},
        "train_seconds": statistics.fmean(seconds) if seconds else None,
        "seed_values": SeedStats(tuple(float(f[first["optimized_metric"]]) for f in finals))
        if first.get("optimized_metric") and all(
            first["optimized_metric"] in f for f in finals) else None,
    }


def baseline_verdict(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """For a study's rows: the best trial vs its first enqueued point, against the noise."""
    trials = [TrialSeeds(r["trial"]["number"], bool(r["trial"].get("enqueued")), r["seed_values"])
              for r in rows if r.get("trial") and r.get("seed_values") is not None]
    verdict = best_vs_baseline(trials)  # the report's metric is mAP: higher is better
    if verdict is None:
        return None
    return f"{rows[0].get('optimized_metric', 'the metric')}, {verdict}"
