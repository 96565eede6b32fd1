"""Which study a report is about and where its storage is, from a study dir or the options.

The first rule that applies decides:

1. ``--storage S`` (a journal file or a database URL, relative to the current dir): that
   storage. The study is ``--study``, else the one named in the dir's multirun.yaml,
   else the dir's name if the storage has such a study, else the storage's only study.
2. ``<dir>/multirun.yaml`` written by our sweeper (``hydra.sweeper._target_`` is
   tfod_optuna): its ``hydra.sweeper.storage`` (null means the sweeper's default
   ``outputs/studies/journal.log``) taken relative to the sweep's ``hydra.runtime.cwd``,
   and its ``hydra.sweeper.study_name`` (``--study`` overrides it). Interpolations are
   resolved from the same file, so ``${oc.env:PGPASSWORD}`` reads the environment as
   the sweep did; the password itself is never printed (the storage is shown masked).
3. ``<dir>/../journal.log`` holding a study named like the dir: the default layout,
   ``outputs/studies/journal.log`` beside ``outputs/studies/<study>/`` (a copied study
   folder without its multirun.yaml). The caller checks that the study is there.
4. Otherwise the paths are plain runs, read from their metrics.json files.

The storage, not the trial dirs, is the source of truth for a study: trials that never
wrote a metrics.json (FAIL, PRUNED early, RUNNING) are in it with their state and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import ListConfig, OmegaConf

from tfod_sweep.errors import SweepError, squeeze

MULTIRUN_FILE = "multirun.yaml"
JOURNAL_NAME = "journal.log"
#: Our sweeper as multirun.yaml names it (the library does not import the plugin).
SWEEPER_TARGET = "hydra_plugins.tfod_optuna_sweeper.sweeper.TfodOptunaSweeper"


@dataclass(frozen=True)
class StudySource:
    """Where to read a study from."""

    #: The storage string as the sweeper takes it; None means the sweeper's default.
    storage: str | None
    #: Relative journal paths are relative to this directory.
    base_dir: Path
    #: None: the study dir's name if the storage has it, else the storage's only study.
    study_name: str | None
    #: ``outputs/studies/<name>``: trial dirs are found here when a trial has no run_dir.
    study_dir: Path | None
    #: The app's optimized_metric from multirun.yaml (the objective's name; the first of a
    #: list), if known.
    optimized_metric: str | None = None
    #: Rule 3: a guess, used only if the storage holds a study of that name.
    guessed: bool = False


def _select(config: object, key: str, file: Path) -> object:
    try:
        return OmegaConf.select(config, key, default=None)  # type: ignore[arg-type]
    except Exception as error:  # an interpolation that cannot be resolved here
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SweepError(f"{file}: cannot resolve {key} ({reason}); pass --storage and "
                         "--study") from None


def from_multirun(study_dir: Path, study: str | None) -> StudySource | None:
    """Rule 2: the study a dir's multirun.yaml describes, or None if it is not our study."""
    file = study_dir / MULTIRUN_FILE
    if not file.is_file():
        return None
    try:
        config = OmegaConf.load(file)
    except Exception as error:
        raise SweepError(f"{file}: not readable as YAML ({squeeze(str(error))})") from None
    if _select(config, "hydra.sweeper._target_", file) != SWEEPER_TARGET:
        return None  # a basic-sweeper grid: plain runs
    storage = _select(config, "hydra.sweeper.storage", file)
    name = study or _select(config, "hydra.sweeper.study_name", file)
    cwd = _select(config, "hydra.runtime.cwd", file)
    metric = _select(config, "optimized_metric", file)
    if isinstance(metric, ListConfig):  # several objectives: they are named in the storage
        metric = metric[0] if len(metric) else None
    return StudySource(
        storage=None if storage is None else str(storage),
        base_dir=Path(str(cwd)) if cwd else study_dir.resolve(),
        study_name=None if name is None else str(name),
        study_dir=study_dir,
        optimized_metric=None if metric is None else str(metric),
    )


def locate_study(paths: Sequence[Path], storage: str | None,
                 study: str | None) -> StudySource | None:
    """Apply rules 1 to 3 to the command's paths and options; None means plain runs."""
    first = paths[0] if paths else None
    study_dir = first if first is not None and first.is_dir() else None
    described = from_multirun(study_dir, study) if study_dir is not None else None
    if storage is not None:
        name = study or (described.study_name if described else None)
        return StudySource(storage, Path.cwd(), name, study_dir,
                           described.optimized_metric if described else None)
    if described is not None:
        return described
    if study_dir is not None and len(paths) == 1:
        journal = study_dir.resolve().parent / JOURNAL_NAME
        if journal.is_file():
            return StudySource(str(journal), journal.parent, study or study_dir.resolve().name,
                               study_dir, guessed=study is None)
    return None
