"""What to export: a run dir's checkpoint and pipeline.config, or a study trial's run (TF-free).

A run dir is what `python -m sweep` writes (`outputs/runs/<overrides>/`, a study's
`trial_<n>/`, or its `trial_<n>/seed_<s>/` with several seeds). Exporting needs its
`pipeline.config` and the checkpoint its `checkpoint` state file names: the OD API's
exporters restore `CheckpointManager.latest_checkpoint`, which is None without that file,
and would then export an untrained model without a word. So a missing state file or a
missing `.index`/`.data` file is an error here, before TensorFlow loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfod_sweep.errors import SweepError
from tfod_sweep.run_metrics import FILE_NAME, RunMetrics

PIPELINE_FILE = "pipeline.config"
STATE_FILE = "checkpoint"
_STATE_LINE = re.compile(r'^model_checkpoint_path:\s*"(?P<path>[^"]+)"\s*$', re.MULTILINE)
# Trial attribute written by the sweeper on a FAIL trial (see review.trials.FAIL_REASON).
FAIL_REASON = "fail_reason"


@dataclass(frozen=True)
class RunArtifacts:
    """The files of one run that an export reads."""

    run_dir: Path
    pipeline_config: Path
    #: The checkpoint prefix (`<run dir>/ckpt-12`): `.index` and `.data-*` files beside it.
    checkpoint: Path
    #: The run's metrics.json, if it has one (its final eval is the SavedModel's reference).
    metrics: RunMetrics | None
    #: Why this dir when several seeds were candidates (empty for a plain run dir).
    chosen_because: str = ""

    @property
    def step(self) -> int | None:
        match = re.search(r"-(\d+)$", self.checkpoint.name)
        return int(match.group(1)) if match else None


def latest_checkpoint(run_dir: Path) -> Path:
    """The checkpoint prefix the run's `checkpoint` state file names, its files checked.

    Raises:
        SweepError: no state file, a state file naming nothing, or missing shard files.
    """
    state = run_dir / STATE_FILE
    if not state.is_file():
        found = "" if not list(run_dir.glob("ckpt-*.index")) else \
            " (ckpt-* files without the 'checkpoint' state file that names the latest)"
        raise SweepError(f"{run_dir}: no checkpoint{found}; the run never saved one")
    try:
        text = state.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise SweepError(f"{state}: corrupt checkpoint state file ({error})") from None
    match = _STATE_LINE.search(text)
    if match is None:
        raise SweepError(f"{state}: corrupt checkpoint state file (no model_checkpoint_path)")
    prefix = Path(match.group("path"))
    prefix = prefix if prefix.is_absolute() else run_dir / prefix
    if not prefix.with_name(prefix.name + ".index").is_file():
        raise SweepError(f"{run_dir}: checkpoint {prefix.name} is named in {STATE_FILE} "
                         f"but {prefix.name}.index is missing")
    if not list(prefix.parent.glob(prefix.name + ".data-*")):
        raise SweepError(f"{run_dir}: checkpoint {prefix.name} has no .data-* file")
    return prefix


def _load_metrics(run_dir: Path) -> RunMetrics | None:
    if not (run_dir / FILE_NAME).is_file():
        return None
    try:
        return RunMetrics.load(run_dir)
    except (OSError, ValueError):  # cut short by a crash: the checkpoint still exports
        return None


def _seed_dirs(trial_dir: Path) -> list[Path]:
    def number(path: Path) -> int:
        suffix = path.name.removeprefix("seed_")
        return int(suffix) if suffix.isdigit() else 1 << 30

    return sorted((p for p in trial_dir.glob("seed_*") if p.is_dir()), key=number)


def _best_seed(seeds: list[Path], maximize: bool) -> tuple[Path, str]:
    """The finished seed with the best optimized metric (the one you would ship)."""
    scored: list[tuple[float, Path]] = []
    for seed in seeds:
        metrics = _load_metrics(seed)
        if metrics is None or metrics.final is None:
            continue
        value = metrics.final.get(metrics.optimized_metric)
        if isinstance(value, int | float):
            scored.append((float(value), seed))
    if not scored:
        return seeds[0], f"{seeds[0].name}: the first of {len(seeds)} seeds (none finished)"
    best = max(scored, key=lambda item: item[0]) if maximize else min(scored,
                                                                       key=lambda i: i[0])
    return best[1], (f"{best[1].name}: the best of {len(seeds)} seeds by its own "
                     f"final metric ({best[0]:.4f})")


def find_run(path: Path, maximize: bool = True) -> RunArtifacts:
    """A run dir (or a trial dir holding `seed_<s>/` runs) -> its artifacts.

    Raises:
        SweepError: the path is missing, is not a run dir, or has no usable checkpoint.
    """
    if not path.exists():
        raise SweepError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise SweepError(f"{path}: not a directory (give a run dir or a study dir)")
    chosen_because = ""
    if not (path / PIPELINE_FILE).is_file():
        seeds = [seed for seed in _seed_dirs(path) if (seed / PIPELINE_FILE).is_file()]
        if not seeds:
            raise SweepError(f"{path}: not a run dir (no {PIPELINE_FILE}) and not a study "
                             "dir (no multirun.yaml of our sweeper, no journal beside it)")
        path, chosen_because = _best_seed(seeds, maximize)
    return RunArtifacts(run_dir=path, pipeline_config=path / PIPELINE_FILE,
                        checkpoint=latest_checkpoint(path), metrics=_load_metrics(path),
                        chosen_because=chosen_because)


def choose_trial(study: Any, number: int | None) -> Any:
    """The study's trial to export: `number`, else the best one (single objective).

    A multi-objective study has no single best: `number` is required there and the error
    names the Pareto-optimal trials to choose from.

    Raises:
        SweepError: no such trial, a trial that is not COMPLETE, or no trial to choose.
    """
    from optuna.trial import TrialState

    name = study.study_name
    trials = study.get_trials(deepcopy=False)
    if number is None:
        if len(study.directions) > 1:
            pareto = ", ".join(str(t.number) for t in sorted(study.best_trials,
                                                             key=lambda t: t.number))
            raise SweepError(f"study {name!r} has {len(study.directions)} objectives, so no "
                             f"single best trial: pass --trial N (Pareto-optimal trials: "
                             f"{pareto or 'none yet'})")
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise SweepError(f"study {name!r} has no COMPLETE trial to export")
        return study.best_trial
    by_number = {t.number: t for t in trials}
    if number not in by_number:
        known = f"trials 0 to {max(by_number)}" if by_number else "no trials"
        raise SweepError(f"study {name!r} has no trial {number} ({known})")
    trial = by_number[number]
    if trial.state != TrialState.COMPLETE:
        reason = trial.user_attrs.get(FAIL_REASON)
        why = f" ({reason})" if reason else ""
        raise SweepError(f"trial {number} of study {name!r} is {trial.state.name}{why}: "
                         "only a COMPLETE trial has its final checkpoint")
    return trial


def trial_run_dir(trial: Any, study_dir: Path | None) -> Path:
    """Where the trial ran: its `run_dir` attribute's trial dir, else `<study dir>/trial_<n>`.

    With several seeds, `run_dir` is the first seed's dir; the trial dir above it is
    returned so that `find_run` picks among the seeds.

    Raises:
        SweepError: neither exists.
    """
    recorded = trial.user_attrs.get("run_dir")
    if isinstance(recorded, str) and recorded and Path(recorded).is_dir():
        path = Path(recorded)
        return path.parent if path.name.startswith("seed_") else path
    if study_dir is not None and (study_dir / f"trial_{trial.number}").is_dir():
        return study_dir / f"trial_{trial.number}"
    raise SweepError(f"trial {trial.number}: its run dir ({recorded or 'not recorded'}) "
                     "does not exist")
