"""`python -m sweep.export` on bad input: one `error:` line, exit 2, nothing written (TF-free).

Each case is a real subprocess on real files: run dirs laid out as `python -m sweep`
writes them (checkpoint files are placeholders: every check here runs before
TensorFlow is imported), and studies in a real Optuna journal file beside the study
dir, the default layout the sweeper writes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from tests.conftest import REPO


def export(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sweep.export", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""
    return lines[0]


def fake_run(path: Path, checkpoint: bool = True) -> Path:
    """A run dir's files; the checkpoint is a placeholder (never read by these tests)."""
    path.mkdir(parents=True)
    (path / "pipeline.config").write_text("model { ssd { num_classes: 2 } }\n")
    if checkpoint:
        (path / "checkpoint").write_text('model_checkpoint_path: "ckpt-3"\n'
                                         'all_model_checkpoint_paths: "ckpt-3"\n')
        (path / "ckpt-3.index").write_bytes(b"placeholder")
        (path / "ckpt-3.data-00000-of-00001").write_bytes(b"placeholder")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def test_run_dir_without_checkpoint(tmp_path):
    run = fake_run(tmp_path / "run", checkpoint=False)
    assert_one_line_error(export(run), "no checkpoint", "never saved one")
    assert not (run / "export").exists()


def test_checkpoint_state_file_naming_missing_files(tmp_path):
    run = fake_run(tmp_path / "run")
    (run / "ckpt-3.index").unlink()
    assert_one_line_error(export(run), "ckpt-3.index is missing")


def test_unknown_format(tmp_path):
    run = fake_run(tmp_path / "run")
    line = assert_one_line_error(export(run, "--formats", "saved_model,onnx"),
                                 "unknown format 'onnx'")
    assert "tflite_int8" in line  # the valid choices are listed
    assert not (run / "export").exists()


def test_existing_out_dir_without_overwrite(tmp_path):
    run = fake_run(tmp_path / "run")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert_one_line_error(export(run, "--out", out), f"{out} exists", "--overwrite")
    assert (out / "mine.txt").read_text() == "keep me"
    assert leftovers(tmp_path) == []


def test_not_a_run_dir(tmp_path):
    assert_one_line_error(export(tmp_path), "not a run dir")
    assert_one_line_error(export(tmp_path / "missing"), "no such file or directory")


def test_trial_option_needs_a_study(tmp_path):
    run = fake_run(tmp_path / "run")
    assert_one_line_error(export(run, "--trial", "3"), "--trial needs a study dir")


def _study(root: Path, name: str, directions: list[str]) -> tuple[optuna.Study, Path]:
    """A study in `root/journal.log` with its dir `root/<name>`, as the sweeper lays out."""
    storage = JournalStorage(JournalFileBackend(str(root / "journal.log")))
    study = optuna.create_study(study_name=name, storage=storage, directions=directions)
    study_dir = root / name
    study_dir.mkdir()
    return study, study_dir


def _add(study: optuna.Study, state: TrialState, values: list[float] | None,
         attrs: dict | None = None) -> None:
    study.add_trial(optuna.trial.create_trial(
        state=state, values=values, params={"gamma": 2.0},
        distributions={"gamma": optuna.distributions.FloatDistribution(0.0, 5.0)},
        user_attrs=attrs or {}))


def test_failed_trial_is_refused_with_its_reason(tmp_path):
    study, study_dir = _study(tmp_path, "focal", ["maximize"])
    _add(study, TrialState.FAIL, None, {"fail_reason": "TrainingError: loss diverged"})
    line = assert_one_line_error(export(study_dir, "--trial", "0"), "trial 0",
                                 "is FAIL", "loss diverged")
    assert "COMPLETE" in line
    assert_one_line_error(export(study_dir, "--trial", "7"), "has no trial 7")
    # Without --trial: the best trial, and there is no COMPLETE one.
    assert_one_line_error(export(study_dir), "no COMPLETE trial")


def test_best_trial_without_checkpoint(tmp_path):
    study, study_dir = _study(tmp_path, "focal", ["maximize"])
    fake_run(study_dir / "trial_0")
    fake_run(study_dir / "trial_1", checkpoint=False)
    _add(study, TrialState.COMPLETE, [0.2], {"run_dir": str(study_dir / "trial_0")})
    _add(study, TrialState.COMPLETE, [0.4], {"run_dir": str(study_dir / "trial_1")})
    assert_one_line_error(export(study_dir), "trial_1", "no checkpoint")
    assert not (study_dir / "trial_1" / "export").exists()


def test_multi_objective_study_needs_trial_and_lists_pareto(tmp_path):
    study, study_dir = _study(tmp_path, "acc_lat", ["maximize", "minimize"])
    for values in ([0.5, 10.0], [0.6, 20.0], [0.4, 30.0], [0.7, 40.0]):
        _add(study, TrialState.COMPLETE, values)
    line = assert_one_line_error(export(study_dir), "2 objectives", "pass --trial N")
    assert line.endswith("(Pareto-optimal trials: 0, 1, 3)")


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_bad_numbers_are_usage_errors(tmp_path, value):
    run = fake_run(tmp_path / "run")
    result = export(run, "--threads", value)
    assert result.returncode == 2 and "--threads" in result.stderr


def test_help_does_not_import_tensorflow():
    code = ("import sys; from sweep.export import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip().endswith("False"), result.stdout[-500:]
    assert "tflite_int8" in result.stdout
