"""`metrics.json`: the one typed record a run writes and every reader loads (TF-free).

The trainer fills it while it trains (`evaluations` grows; `final` stays None until the
last evaluation), the report and the tests read it back. A field added here is added for
both sides at once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfod_sweep.fileio import atomic_write_text

FILE_NAME = "metrics.json"


@dataclass
class RunMetrics:
    """Everything one run measured, in the shape of its metrics.json."""

    name: str
    arch: str
    num_classes: int
    batch_size: int
    resolution: list[int]
    optimized_metric: str
    #: train.seed of the run; runs differing only in it are one configuration.
    seed: int | None = None
    #: The resolved experiment without machine paths (what makes runs comparable).
    config: dict[str, Any] | None = None
    #: {"study", "number", "enqueued", "params"} when the run is (a seed of) a study trial.
    trial: dict[str, Any] | None = None
    steps: int = 0
    train_seconds: float = 0.0
    images_per_second: float | None = None
    #: Every evaluation so far: {"step": n, <metric>: value, ...}.
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    #: The last evaluation's 12 COCO metrics and eval losses; None until the run finished.
    final: dict[str, float] | None = None
    final_train_losses: dict[str, float] = field(default_factory=dict)
    #: The last evaluation's AP@.50IOU and AP per class name (classes with val objects).
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    pipeline_config: str | None = None
    run_dir: str | None = None
    eval_images: int | None = None
    #: Wall seconds per phase of the last process that ran this run: tf_import, build,
    #: first_step (tracing), train_steps, checkpoint, eval_detect, eval_score, logging,
    #: preview, inference.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    #: Every optimized metric when there are several (a multi-objective study), in the
    #: order of the returned tuple; `optimized_metric` is then the first. None otherwise.
    objectives: list[str] | None = None
    #: The trained model's cost, measured after the final evaluation (None before):
    #: Latency/median_ms and Latency/p90_ms at batch 1 (null with eval.latency_images=0),
    #: Latency/threads, /images, /warmup, /batch_size, Model/parameters, Model/flops (null
    #: with Model/flops_note when the profiler could not count them).
    inference: dict[str, Any] | None = None
    #: TensorFlow's pool sizes, {"intra_op": n, "inter_op": m}: the float sums, and so
    #: the numbers, repeat on the same intra-op count (thread_pools.py).
    threads: dict[str, int] | None = None
    #: The process's memory when the run ended, in MiB: rss_mb (resident then) and
    #: peak_rss_mb (the process's peak so far; trials of one worker share a process).
    memory: dict[str, float | None] | None = None

    @property
    def finished(self) -> bool:
        return self.final is not None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def write(self, run_dir: Path) -> Path:
        """Write `run_dir/metrics.json` atomically (a crash keeps the previous version)."""
        path = run_dir / FILE_NAME
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))
        return path

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunMetrics:
        """Build from parsed JSON; keys this version does not know are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def load(cls, path: Path) -> RunMetrics:
        """Read a metrics.json (or the run dir holding it).

        Raises:
            OSError, ValueError: the file is missing, not JSON, or lacks a required field.
        """
        if path.is_dir():
            path = path / FILE_NAME
        values = json.loads(path.read_text())
        try:
            return cls.from_dict(values)
        except TypeError as exc:
            raise ValueError(f"{path}: not a tfod-sweep metrics.json ({exc})") from None
