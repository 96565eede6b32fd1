"""One experiment end to end: validate, resolve data, render pipeline.config, train."""

from __future__ import annotations

import shutil
from pathlib import Path

from google.protobuf import text_format
from omegaconf import DictConfig, open_dict

from tfod_sweep.config import validate_config
from tfod_sweep.data import resolve_dataset
from tfod_sweep.errors import ConfigError
from tfod_sweep.objectives import Objective, seed_summary
from tfod_sweep.pipeline import build_pipeline, write_pipeline
from tfod_sweep.tf_logging import configure_tf_logging, import_tensorflow
from tfod_sweep.trial_handle import TrialHandle
from tfod_sweep.zoo.pretrained import apply_pretrained


def _check_fine_tune_checkpoint(path: str | None) -> None:
    """Fail before TensorFlow loads if the zoo checkpoint to start from is not there."""
    if path and not (Path(path + ".index").is_file() or Path(path).is_file()):
        raise ConfigError(
            f"train.fine_tune_checkpoint={path!r} does not exist: allowed a checkpoint prefix "
            "such as .../checkpoint/ckpt-0 (with its .index file)"
        )


def render_run_files(cfg: DictConfig, run_dir: Path) -> tuple[Path, Path]:
    """Write pipeline.config and label_map.pbtxt into `run_dir` and return their paths."""
    dataset = resolve_dataset(cfg.dataset)
    run_dir.mkdir(parents=True, exist_ok=True)
    label_map = run_dir / "label_map.pbtxt"
    shutil.copyfile(dataset.label_map, label_map)
    pipeline = build_pipeline(cfg, dataset.train, dataset.val, str(label_map.resolve()))
    path = run_dir / "pipeline.config"
    _refuse_to_resume_another_experiment(run_dir, path, text_format.MessageToString(pipeline))
    return write_pipeline(pipeline, path), label_map


def _refuse_to_resume_another_experiment(run_dir: Path, path: Path, new_text: str) -> None:
    """Checkpoints in `run_dir` belong to its pipeline.config; never resume them under another."""
    if path.is_file() and any(run_dir.glob("ckpt-*.index")) and path.read_text() != new_text:
        raise ConfigError(
            f"{run_dir} holds checkpoints of a different pipeline.config (the config files "
            "changed since): delete that dir, or set hydra.run.dir to start a new run"
        )


def run_experiment(cfg: DictConfig, run_dir: Path,
                   reporter: TrialHandle | None = None) -> Objective | None:
    """Validate `cfg`, render its files, and (unless dry_run) train and evaluate it.

    Returns the `optimized_metric`'s value, or a tuple of the listed metrics' values
    (a multi-objective study); None for a dry run.

    Args:
        cfg: the composed experiment.
        run_dir: where the run writes everything (the app passes Hydra's output dir).
        reporter: the study trial this run is, if any (the sweeper plugin provides it).
    """
    validate_config(cfg)
    apply_pretrained(cfg, download=not cfg.dry_run)
    configure_tf_logging(cfg.verbose)
    run_dir = run_dir.resolve()
    seeds_per_trial = reporter.seeds_per_trial if reporter is not None else 1
    if seeds_per_trial > 1:
        return _run_seeds(cfg, run_dir, seeds_per_trial, reporter)
    return _run_one(cfg, run_dir, reporter)


def _run_one(cfg: DictConfig, run_dir: Path,
             reporter: TrialHandle | None) -> Objective | None:
    pipeline_path, label_map = render_run_files(cfg, run_dir)
    print(f"pipeline.config: {pipeline_path}")
    print(f"label_map.pbtxt: {label_map}")
    if cfg.dry_run:
        return None
    _check_fine_tune_checkpoint(cfg.train.fine_tune_checkpoint)
    if cfg.train.get("resume_from"):
        from tfod_sweep.training.resume import continue_from

        if continue_from(Path(cfg.train.resume_from), run_dir, pipeline_path.read_text(),
                         int(cfg.train.seed)):
            print(f"continuing the checkpoint of {cfg.train.resume_from}")
    import_tensorflow(cfg.verbose)
    from tfod_sweep.training.experiment import train_and_evaluate

    return train_and_evaluate(cfg, run_dir, pipeline_path, reporter=reporter)


def _run_seeds(cfg: DictConfig, trial_dir: Path, count: int,
               reporter: TrialHandle) -> Objective:
    """Train one trial's point with seeds train.seed, +1, ...; return the mean objective.

    Each seed is a full run in `seed_<s>/` (resumable on its own). The first seed reports
    the learning curve and may be pruned; the others only add their final value. The
    per-seed values, mean, std and n are stored on the trial after every seed, so a
    crash keeps what finished; with several objectives, each is averaged on its own.
    """
    first = int(cfg.train.seed)
    seeds: list[int] = []
    values: list[Objective] = []
    mean: Objective | None = None
    for index in range(count):
        seed = first + index
        seed_cfg = cfg.copy()
        with open_dict(seed_cfg):
            seed_cfg.train.seed = seed
        print(f"seed {seed} ({index + 1} of {count})")
        value = _run_one(seed_cfg, trial_dir / f"seed_{seed}",
                         reporter if index == 0 else reporter.for_later_seed())
        assert value is not None
        seeds.append(seed)
        values.append(value)
        mean, attrs = seed_summary(seeds, values)
        reporter.set_trial_attrs(attrs)
    assert mean is not None
    return mean
