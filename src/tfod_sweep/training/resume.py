"""Continue another run's checkpoint: a race's next rung picks up where its rung stopped.

The files are copied, not linked, so the earlier run stays as it was (its metrics and
checkpoint are the evidence of its own trial). Only the latest checkpoint moves, with
metrics.json, so the continued run keeps the curve and the train time it had.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tfod_sweep.errors import ConfigError

_STATE = "checkpoint"  # TensorFlow's CheckpointManager state file (relative paths)


def latest_checkpoint(run_dir: Path) -> str | None:
    """The prefix of the newest ``ckpt-N`` in ``run_dir``, by step number."""
    steps = [int(p.name[len("ckpt-"):-len(".index")]) for p in run_dir.glob("ckpt-*.index")]
    return f"ckpt-{max(steps)}" if steps else None


def _experiment(pipeline_text: str) -> list[str]:
    """pipeline.config without its label map path, which names each run's own copy."""
    return [line for line in pipeline_text.splitlines() if "label_map_path" not in line]


def continue_from(source: Path, run_dir: Path, pipeline_text: str, seed: int) -> bool:
    """Copy ``source``'s latest checkpoint into ``run_dir``; False if it has one already.

    Raises ConfigError (one line) when ``source`` holds no checkpoint, or one of another
    experiment or seed: continuing it would not be the run this one claims to be.
    """
    if latest_checkpoint(run_dir) is not None:
        return False
    if not source.is_dir():
        raise ConfigError(f"train.resume_from={str(source)!r} does not exist on this machine "
                          "(a race on several machines needs paths.outputs on a folder every "
                          "worker shares)")
    prefix = latest_checkpoint(source)
    if prefix is None:
        raise ConfigError(f"train.resume_from={str(source)!r} holds no checkpoint (ckpt-*.index)")
    metrics = source / "metrics.json"
    if metrics.is_file():
        recorded = json.loads(metrics.read_text()).get("seed")
        if recorded is not None and int(recorded) != seed:
            raise ConfigError(f"train.resume_from={str(source)!r} trained with seed "
                              f"{recorded}, not train.seed={seed}")
    pipeline = source / "pipeline.config"
    if not pipeline.is_file() or _experiment(pipeline.read_text()) != _experiment(pipeline_text):
        raise ConfigError(f"train.resume_from={str(source)!r} is a run of another "
                          "pipeline.config: allowed a run of this same experiment")
    if metrics.is_file():
        shutil.copyfile(metrics, run_dir / "metrics.json")
    for part in source.glob(f"{prefix}.*"):
        shutil.copyfile(part, run_dir / part.name)
    (run_dir / _STATE).write_text(f'model_checkpoint_path: "{prefix}"\n'
                                  f'all_model_checkpoint_paths: "{prefix}"\n')
    return True
