"""A trial's evidence in optuna-dashboard: its files as artifacts, a note, a named objective.

Why the sweeper attaches them and not the job: the sweeper sees every ending (a PRUNED or
FAIL job never reaches its last line), and it does so while the trial is still RUNNING,
which matters because Optuna refuses attributes, and so artifacts, on a finished trial.
It runs right before the result is told; anything that goes wrong here is one logged
line, never a lost or failed trial.

What a trial gets, read from the run that speaks for it (the first seed's run dir):

* artifacts ``pipeline.config``, ``preview.png`` (when the run drew one) and
  ``per_class_ap50.png``, drawn from ``metrics.json``'s ``per_class`` (when present);
* a markdown note with its state, run dir and the logbook tables for its row
  (the last evaluation's numbers for a PRUNED trial, ``mean ± std`` over seeds).

Only the file-only matplotlib side of the library is used: no TensorFlow here.
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

with warnings.catch_warnings():
    # optuna.artifacts imports its GCS store, so google.api_core, which from late 2026
    # warns on import that Google's support for Python 3.11 ends in 2027. The user cannot
    # act on it here, and a stray stderr line would break the one-line error contract.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.")
    from optuna.artifacts import FileSystemArtifactStore, upload_artifact

from hydra_plugins.tfod_optuna_sweeper._optuna_private import storage_of, trial_id_of
from tfod_sweep.errors import one_line
from tfod_sweep.review.logbook import logbook_tables, merge_seeds
from tfod_sweep.run_metrics import FILE_NAME as METRICS_FILE

log = logging.getLogger(__name__)

PIPELINE_FILE = "pipeline.config"
PREVIEW_FILES = ("preview.png", "preview.jpg", "preview.jpeg")
CHART_FILE = "per_class_ap50.png"


def objective_label(metric: str) -> str:
    """The objective's short name: ``DetectionBoxes_Precision/mAP@.50IOU`` -> ``mAP@.50``.

    Only the COCO prefixes go: ``Latency/median_ms`` keeps its group, which is what
    says it is a latency.
    """
    if not metric.startswith("DetectionBoxes_"):
        return metric.strip()
    name = metric.rsplit("/", 1)[-1].strip()
    return name.removesuffix("IOU") or metric


def name_objective(study: optuna.Study, metrics: str | Sequence[str] | None) -> None:
    """Label the study's values after the task's ``optimized_metric`` (not "Objective 0").

    One name per objective, so optuna-dashboard labels the axes of its Pareto-front
    plot. ``optuna_dashboard.set_objective_names`` is deprecated in 0.21 in favour of
    this Optuna call, which it only forwards to. Written once: workers and resumes that
    find the labels in place leave the storage alone.
    """
    if not metrics:
        return
    names = [objective_label(str(m)) for m in ([metrics] if isinstance(metrics, str)
                                                else metrics)]
    if study.metric_names != names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(names)


def speaking_run(job_dir: Path, run_dir_attr: Any) -> Path:
    """The run dir whose files stand for the trial.

    The job's ``run_dir`` user attr (a real run sets it; with several seeds it is the
    first seed's dir) when it lies inside this trial's job dir; otherwise the job dir,
    or its first ``seed_*`` dir. A retried trial inherits its predecessor's attrs, hence
    the containment check.
    """
    if isinstance(run_dir_attr, str) and run_dir_attr:
        candidate = Path(run_dir_attr)
        if candidate == job_dir or job_dir in candidate.parents:
            return candidate
    seeds = _seed_dirs(job_dir)
    if not (job_dir / PIPELINE_FILE).is_file() and seeds:
        return seeds[0]
    return job_dir


def _seed_dirs(job_dir: Path) -> list[Path]:
    def seed(path: Path) -> int:
        try:
            return int(path.name.removeprefix("seed_"))
        except ValueError:
            return 1 << 30

    return sorted((p for p in job_dir.glob("seed_*") if p.is_dir()), key=seed)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        values = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return values if isinstance(values, dict) else None


def _last_evaluation(run: Mapping[str, Any]) -> dict[str, Any]:
    evaluations = [e for e in run.get("evaluations") or [] if isinstance(e, Mapping)]
    return {k: v for k, v in evaluations[-1].items() if k != "step"} if evaluations else {}


def trial_row(job_dir: Path) -> tuple[dict[str, Any], bool] | None:
    """The trial's one row of the logbook tables, and whether its runs finished.

    One run gives its final numbers, or its last evaluation's if it was cut short;
    several finished seeds give ``mean ± std (n)``. None without any metrics.json.
    """
    runs = [r for r in (_load(d / METRICS_FILE) for d in [job_dir, *_seed_dirs(job_dir)]) if r]
    if not runs:
        return None
    name = job_dir.name
    finished = [r for r in runs if r.get("final")]
    if len(finished) > 1:
        return merge_seeds(finished, name), True
    if finished:
        return {**finished[0], "name": name}, True
    return {**runs[0], "final": _last_evaluation(runs[0]), "name": name}, False


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _values_text(values: float | Sequence[float], labels: Sequence[str]) -> str:
    """``mAP@.50 = 0.5000``, or one such part per objective."""
    numbers = [values] if isinstance(values, (int, float)) else list(values)
    names = list(labels) if len(labels) == len(numbers) else (
        ["value"] if len(numbers) == 1 else [f"objective {i}" for i in range(len(numbers))])
    return ", ".join(f"{name} = {value:.4f}" for name, value in zip(names, numbers,
                                                                       strict=True))


def note_markdown(number: int, state: TrialState, value: float | Sequence[float] | None,
                  reason: str | None, job_dir: Path,
                  label: str | Sequence[str] | None) -> str:
    """The trial's dashboard note: how it ended, where it ran, its seed-table row."""
    head = f"### Trial {number}: {state.name}"
    if value is not None:
        labels = [label] if isinstance(label, str) else list(label or ())
        head += ", " + _values_text(value, labels)
    lines = [head, "", f"run dir: {_code(str(job_dir))}"]
    if reason:
        lines += ["", f"reason: {_code(reason)}"]
    found = trial_row(job_dir)
    if found is None:
        lines += ["", f"no {METRICS_FILE} in the run dir."]
        return "\n".join(lines)
    row, finished = found
    if not finished:
        lines += ["", f"Numbers of its last evaluation (step {row.get('steps')})."]
    lines += ["", logbook_tables([row])]
    return "\n".join(lines)


class EvidenceWriter:
    """Attaches artifacts and a note to each trial the sweeper finishes."""

    def __init__(self, artifact_dir: Path,
                 optimized_metric: str | Sequence[str] | None) -> None:
        self.artifact_dir = artifact_dir
        metrics = [optimized_metric] if isinstance(optimized_metric, str) else list(
            optimized_metric or ())
        self._label = [objective_label(m) for m in metrics]

    def attach(self, study: optuna.Study, trial: optuna.Trial, job_dir: Path,
               state: TrialState, value: float | Sequence[float] | None,
               reason: str | None) -> None:
        """Upload the run's files and save the note; a failure is one warning line."""
        problems: list[str] = []
        try:
            frozen = storage_of(study).get_trial(trial_id_of(trial))  # the job's attrs, fresh
            if frozen.state != TrialState.RUNNING:
                return  # another worker found it lost and failed it; its retry attaches
            run = speaking_run(job_dir, frozen.user_attrs.get("run_dir"))
            self._upload(trial, run, job_dir, problems)
        except Exception as exc:
            problems.append(one_line(exc))
        try:
            from optuna_dashboard import save_note

            save_note(trial, note_markdown(trial.number, state, value, reason, job_dir,
                                           self._label))
        except Exception as exc:
            problems.append(f"note: {one_line(exc)}")
        if problems:
            log.warning("trial %d: evidence not fully attached (the result is kept): %s",
                        trial.number, "; ".join(problems))

    def _upload(self, trial: optuna.Trial, run: Path, job_dir: Path,
                problems: list[str]) -> None:
        files: list[tuple[Path, str | None]] = []
        if (run / PIPELINE_FILE).is_file():
            files.append((run / PIPELINE_FILE, "text/plain"))
        preview = next((run / n for n in PREVIEW_FILES if (run / n).is_file()), None)
        if preview is not None:
            files.append((preview, None))
        if not files and not (run / METRICS_FILE).is_file():
            return  # the job wrote nothing (it failed at once): nothing to show
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        store = FileSystemArtifactStore(self.artifact_dir)
        with tempfile.TemporaryDirectory(prefix="tfod_evidence_") as scratch:
            chart = self._chart(run, Path(scratch) / CHART_FILE, job_dir.name, problems)
            if chart is not None:
                files.append((chart, None))
            for path, mimetype in files:
                try:
                    upload_artifact(artifact_store=store, file_path=str(path),
                                    study_or_trial=trial, mimetype=mimetype)
                except Exception as exc:
                    problems.append(f"{path.name}: {one_line(exc)}")

    def _chart(self, run: Path, path: Path, name: str, problems: list[str]) -> Path | None:
        metrics = _load(run / METRICS_FILE)
        per_class = (metrics or {}).get("per_class")
        if not per_class:
            return None
        try:
            from tfod_sweep.review.plots import per_class_bar_chart

            return per_class_bar_chart(per_class, path, title=f"{name}: per-class AP@.50")
        except ValueError:
            return None  # no class has an AP@.50 (no val objects): nothing to draw
        except Exception as exc:
            problems.append(f"{CHART_FILE}: {one_line(exc)}")
            return None
