"""Toy Hydra task standing in for a training job in the sweeper tests (no TensorFlow).

It "trains" for ``num_steps`` steps; the value after step ``s`` is ``x * s / num_steps``
(plus ``seed_noise`` times a fixed offset per ``seed``; a race may stop it at ``stop_at``
and continue another run's ``toy_checkpoint`` with ``resume_from``),
reported through the sweeper plugin's ``reporter.open_trial_reporter()`` exactly as the real task
does. Knobs make it slow, fail or hang on purpose. With ``evidence=true`` it also writes
what a real run leaves in its run dir (``pipeline.config`` first, ``metrics.json`` after
every step, ``preview.png`` at the end unless ``preview=false``) and sets the same
user attributes, so the sweeper's artifacts and notes can be tested in seconds. With a
list ``optimized_metric`` it returns one value per metric (a multi-objective study).
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from hydra_plugins.tfod_optuna_sweeper.reporter import TrialReporter, open_trial_reporter
from tfod_sweep.compat import LEGACY_KERAS
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS
from tfod_sweep.run_metrics import RunMetrics
from tfod_sweep.thread_pools import INTRA_OP

CLASSES = ("circle", "square", "triangle")
#: The toy's "checkpoint": the last step it trained, in its run dir.
CHECKPOINT = "toy_checkpoint"


def _coco(value: float) -> dict[str, float]:
    """Plausible COCO numbers around ``value`` (the mAP@.50), and SSD losses."""
    metrics = {name: round(value * (0.9 - 0.05 * i), 6) for i, name in enumerate(COCO_METRICS)}
    metrics["DetectionBoxes_Precision/mAP@.50IOU"] = value
    losses = dict(zip(LOSS_COMPONENTS["ssd"], (0.4, 0.6, 0.1, 1.1), strict=True))
    return {**metrics, **{k: round(v * (1.5 - value), 6) for k, v in losses.items()}}


def _first(metric: object) -> str:
    """The metric (the first of a list) that a run's metrics.json names."""
    return str(metric) if isinstance(metric, str) else str(list(metric)[0])  # type: ignore[call-overload]


class Evidence:
    """The files a real run writes into its run dir, in the real formats."""

    def __init__(self, cfg: DictConfig, run_dir: Path, reporter: TrialReporter | None) -> None:
        self.run_dir = run_dir
        self.reporter = reporter
        run_dir.mkdir(parents=True, exist_ok=True)
        pipeline = run_dir / "pipeline.config"
        pipeline.write_text(f"# toy pipeline\nmodel {{ ssd {{ num_classes: {len(CLASSES)} }} }}\n"
                            f"train_config {{ batch_size: {cfg.y} }}  # x={cfg.x} opt={cfg.opt}\n")
        self.record = RunMetrics(
            name=run_dir.name, arch="ssd", num_classes=len(CLASSES), batch_size=int(cfg.y),
            resolution=[64, 64], optimized_metric=_first(cfg.optimized_metric), seed=0,
            pipeline_config=str(pipeline), run_dir=str(run_dir),
        )
        if reporter is not None:
            reporter.set_user_attrs({"run_dir": str(run_dir), "pipeline_config": str(pipeline)})

    def evaluated(self, step: int, value: float, seconds: float) -> None:
        self.record.evaluations.append({"step": step, **_coco(value)})
        self.record.steps = step
        self.record.train_seconds = seconds
        self.record.write(self.run_dir)

    def finished(self, value: float, preview: bool) -> None:
        self.record.final = _coco(value)
        self.record.per_class = {
            name: {"AP@.50IOU": round(min(1.0, value * (1.2 - 0.3 * i)), 6),
                   "AP": round(value * (0.7 - 0.2 * i), 6)}
            for i, name in enumerate(CLASSES)
        }
        self.record.write(self.run_dir)
        if preview:
            self._draw_preview(value)
        if self.reporter is not None:
            self.reporter.set_user_attrs({**self.record.final, "steps": self.record.steps})


    def _draw_preview(self, value: float) -> None:
        """Like a real preview: tiles with a shape, its true box (green), a guess (red)."""
        from PIL import Image, ImageDraw

        tile, miss = 64, round(12 * (1.0 - value))  # a better trial guesses closer
        picture = Image.new("RGB", (3 * tile, 2 * tile), "white")
        draw = ImageDraw.Draw(picture)
        for index in range(6):
            left, top = (index % 3) * tile + 14, (index // 3) * tile + 14
            box = (left, top, left + 34, top + 34)
            shape = draw.ellipse if index % 2 else draw.rectangle
            shape(box, fill=("royalblue", "orange", "purple")[index % 3])
            draw.rectangle(box, outline="green", width=2)
            draw.rectangle(tuple(c + miss for c in box), outline="red", width=2)
        picture.save(self.run_dir / "preview.png")


def _objectives(cfg: DictConfig, value: float) -> float | tuple[float, ...]:
    """The value, or with a list ``optimized_metric`` one value per metric.

    A ``Latency/...`` metric is a made-up latency that grows with ``x`` (and ``y``), so
    accuracy and speed trade off and the Pareto front has more than one trial.
    ``return_count`` returns that many values instead (a broken task).
    """
    metrics = cfg.optimized_metric
    if isinstance(metrics, str):
        return float(value)
    values = [5.0 + 20.0 * float(cfg.x) ** 2 + 2.0 * int(cfg.y) if "Latency" in str(m)
              else float(value) for m in metrics]
    if cfg.return_count is not None:
        values = (values * int(cfg.return_count))[: int(cfg.return_count)]
    return tuple(values)


def _fill_disk(path: Path) -> None:
    """Write zeros to ``path`` until the file system is full (as another job might)."""
    block = bytes(64 * 1024)
    with path.open("ab", buffering=0) as fh:
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(block) == 1:
                    return
                block = block[: len(block) // 2]


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float | tuple[float, ...]:
    """Report a deterministic learning curve and return its last point."""
    reporter = open_trial_reporter()
    if reporter is None:
        print(f"toy: no trial reporter (x={cfg.x})", flush=True)
    else:  # what the sweeper gave this worker's TensorFlow (n_jobs > 1)
        reporter.set_user_attrs({"intra_op_threads": os.environ.get(INTRA_OP),
                                 "legacy_keras": os.environ.get(LEGACY_KERAS)})
    evidence = None
    if cfg.evidence:
        evidence = Evidence(cfg, Path(HydraConfig.get().runtime.output_dir), reporter)
    started = time.monotonic()
    slow = cfg.slow_x_above is not None and cfg.x > cfg.slow_x_above
    pause = cfg.slow_seconds_per_step if slow else cfg.seconds_per_step
    value = 0.0
    first, last = _resumed_step(cfg), int(cfg.stop_at or cfg.num_steps)
    if first >= last:
        raise ValueError(f"toy: resume_from is at step {first}, stop_at={last}")
    offset = cfg.seed_noise * (((int(cfg.seed) * 37) % 7) - 3) / 3
    for step in range(first + 1, last + 1):
        time.sleep(pause)
        if cfg.fail_x_below is not None and cfg.x < cfg.fail_x_below:
            raise ValueError(f"toy failure: x={cfg.x} is below {cfg.fail_x_below}")
        if cfg.x in cfg.fail_x_values:
            raise ValueError(f"toy failure: x={cfg.x} is one of fail_x_values")
        value = (cfg.x + offset) * step / cfg.num_steps
        if cfg.fill_disk_at_step == step:
            _fill_disk(Path(HydraConfig.get().runtime.output_dir).parent / "filler")
        if evidence is not None:
            evidence.evaluated(step, value, time.monotonic() - started)
        if reporter is not None:
            reporter.report(value=value, step=step)
    if evidence is not None:
        evidence.finished(value, bool(cfg.preview))
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CHECKPOINT).write_text(str(step))
    if reporter is not None:
        reporter.set_user_attrs(
            {"seen": {"x": cfg.x, "y": cfg.y, "opt": cfg.opt},
             "race_seen": {"seed": cfg.seed, "stop_at": cfg.stop_at, "resumed_at": first},
             "pid": os.getpid(), "steps": step}
        )
    return _objectives(cfg, value)


def _resumed_step(cfg: DictConfig) -> int:
    """The step of the checkpoint in ``resume_from`` (a race's earlier rung), else 0."""
    if cfg.resume_from is None:
        return 0
    marker = Path(cfg.resume_from) / CHECKPOINT
    if not marker.is_file():
        raise FileNotFoundError(f"toy: no checkpoint to resume in {cfg.resume_from}")
    return int(marker.read_text())


if __name__ == "__main__":
    main()
