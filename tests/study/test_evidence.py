"""Each trial's evidence in optuna-dashboard: artifacts, a note, the objective's name.

The sweeps are real toy sweeps (``evidence=true`` makes the toy write a real run's files);
what they leave is read back through Optuna's and optuna-dashboard's own readers.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import optuna
import pytest
from optuna.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta
from optuna.trial import FrozenTrial, TrialState
from optuna_dashboard import get_note

from hydra_plugins.tfod_optuna_sweeper._evidence import (
    objective_label,
    speaking_run,
    trial_row,
)
from hydra_plugins.tfod_optuna_sweeper._storages._location import (
    resolve_artifact_dir,
    resolve_storage,
)
from tests.study.toy_helpers import MIXED, Toy
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS
from tfod_sweep.run_metrics import RunMetrics

AP50 = "DetectionBoxes_Precision/mAP@.50IOU"
AR100 = "DetectionBoxes_Recall/AR@100"
EVIDENCE = {"pipeline.config", "preview.png", "per_class_ap50.png"}


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR; fails on anything that is not a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _artifacts(toy: Toy, trial: FrozenTrial, artifact_dir: Path) -> dict[str, bytes]:
    """File name -> bytes of every artifact of ``trial``, read back from the store."""
    storage = optuna.load_study(study_name="toy", storage=_journal(toy))._storage
    store = FileSystemArtifactStore(artifact_dir)
    found = {}
    for meta in get_all_artifact_meta(trial, storage=storage):
        target = artifact_dir.parent / f"download-{meta.artifact_id}"
        download_artifact(artifact_store=store, artifact_id=meta.artifact_id,
                          file_path=str(target))
        found[meta.filename] = target.read_bytes()
    return found


def _journal(toy: Toy) -> optuna.storages.BaseStorage:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(toy.journal)))


def _note(toy: Toy, number: int) -> str:
    study = optuna.load_study(study_name="toy", storage=_journal(toy))
    return get_note(optuna.Trial(study, study.trials[number]._trial_id))


def _rows(note: str, name: str) -> list[list[str]]:
    """The cells of the AP, AR and loss table rows named ``name`` in a note."""
    rows = [line for line in note.splitlines() if line.startswith(f"| {name} |")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_every_trial_gets_its_files_a_note_and_a_named_objective(toy: Toy) -> None:
    result = toy.run(*MIXED)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "WARNING" not in result.stdout
    trials = toy.trials()
    assert [t.state for t in trials] == [
        TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED]
    artifact_dir = toy.cwd / "outputs" / "studies" / "artifacts"
    study = optuna.load_study(study_name="toy", storage=_journal(toy))
    assert study.metric_names == ["mAP@.50"]

    for trial in trials[:2]:  # finished runs: all three files, as the run wrote them
        run_dir = Path(trial.user_attrs["run_dir"])
        files = _artifacts(toy, trial, artifact_dir)
        assert set(files) == EVIDENCE
        assert files["pipeline.config"] == (run_dir / "pipeline.config").read_bytes()
        assert files["preview.png"] == (run_dir / "preview.png").read_bytes()
        width, height = _png_size(files["per_class_ap50.png"])
        assert width >= 300 and height >= 100
        # The note's row holds the numbers of the run's metrics.json.
        final = json.loads((run_dir / "metrics.json").read_text())["final"]
        ap, ar, loss = _rows(_note(toy, trial.number), run_dir.name)
        assert ap[2] == f"{final[AP50]:.3f}" and ap[1] == f"{final[COCO_METRICS[0]]:.3f}"
        assert ar[3] == f"{final[AR100]:.3f}"
        assert loss[1:5] == [f"{final[k]:.3f}" for k in LOSS_COMPONENTS["ssd"]]
        assert ap[7] == "4"  # steps
        assert f"Trial {trial.number}: COMPLETE, mAP@.50 = {trial.value:.4f}" in _note(
            toy, trial.number)

    failed, pruned = trials[2], trials[3]
    # Both wrote pipeline.config before they stopped; neither drew a preview or per-class AP.
    assert set(_artifacts(toy, failed, artifact_dir)) == {"pipeline.config"}
    assert set(_artifacts(toy, pruned, artifact_dir)) == {"pipeline.config"}
    failed_note = _note(toy, 2)
    assert "Trial 2: FAIL" in failed_note
    assert "ValueError: toy failure: x=0.1 is below 0.15" in failed_note
    assert "no metrics.json" in failed_note
    pruned_note = _note(toy, 3)
    assert "Trial 3: PRUNED" in pruned_note and "pruned at step 1" in pruned_note
    assert "Numbers of its last evaluation (step 1)." in pruned_note
    assert _rows(pruned_note, "trial_3")[0][2] == f"{0.2 * 1 / 4:.3f}"
    # Nothing else in the store: one file per listed artifact.
    assert len(list(artifact_dir.iterdir())) == 2 * 3 + 2

    hint = [line for line in result.stdout.splitlines() if line.startswith("view it with:")]
    assert hint == [
        f"view it with: optuna-dashboard {toy.journal} --artifact-dir {artifact_dir} "
        "--host 127.0.0.1"
    ]


def test_a_missing_preview_is_no_problem(toy: Toy) -> None:
    result = toy.run("evidence=true", "preview=false", "hydra.sweeper.n_trials=1")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout and result.stderr == ""
    (trial,) = toy.trials()
    files = _artifacts(toy, trial, toy.cwd / "outputs" / "studies" / "artifacts")
    assert set(files) == {"pipeline.config", "per_class_ap50.png"}


def test_a_failed_upload_keeps_the_trial_and_logs_one_line(toy: Toy) -> None:
    blocker = toy.cwd / "not_a_dir"
    blocker.write_text("a file where the artifact folder should be\n")
    result = toy.run("evidence=true", f"hydra.sweeper.artifact_dir={blocker}",
                     "hydra.sweeper.n_trials=2", "hydra.sweeper.pruner=null")
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert [t.value for t in trials] == [t.params["x"] for t in trials]
    warnings = [line for line in (result.stdout + result.stderr).splitlines()
                if "evidence not fully attached" in line]
    assert len(warnings) == 2
    assert all("FileExistsError" in line for line in warnings)
    # The note does not depend on the artifact store.
    assert "Trial 0: COMPLETE" in _note(toy, 0)
    assert blocker.read_text() == "a file where the artifact folder should be\n"


def test_artifact_dir_is_resolved_against_the_working_dir(toy: Toy) -> None:
    result = toy.run("evidence=true", "hydra.sweeper.artifact_dir=elsewhere/art",
                     "hydra.sweeper.n_trials=1")
    assert result.returncode == 0, result.stderr
    assert len(list((toy.cwd / "elsewhere" / "art").iterdir())) == 3
    assert f"--artifact-dir {toy.cwd / 'elsewhere' / 'art'} --host 127.0.0.1" in result.stdout


@pytest.mark.parametrize(
    ("storage", "artifact_dir", "expected"),
    [
        (None, None, "/base/outputs/studies/artifacts"),
        ("runs/j.log", None, "/base/runs/artifacts"),
        ("/abs/j.log", None, "/abs/artifacts"),
        ("sqlite:///rel/o.db", None, "/base/rel/artifacts"),
        ("postgresql://u:pw@db:5432/optuna", None, "/base/outputs/studies/artifacts"),
        ("redis://cache:6379/0", None, "/base/outputs/studies/artifacts"),
        ("postgresql://u:pw@db/optuna", "/shared/art", "/shared/art"),
        (None, "mine/art", "/base/mine/art"),
    ],
)
def test_the_artifact_store_sits_beside_the_storage(
    storage: str | None, artifact_dir: str | None, expected: str
) -> None:
    location = resolve_storage(storage, Path("/base"))
    assert resolve_artifact_dir(artifact_dir, location, Path("/base")) == Path(expected)


def test_the_dashboard_command_names_storage_artifacts_and_loopback() -> None:
    location = resolve_storage("postgresql://u:pw@db/optuna", Path("/base"))
    command = location.dashboard_command(Path("/shared/my art"))
    assert command == ("optuna-dashboard 'postgresql+psycopg://u:***@db/optuna' "
                       "--artifact-dir '/shared/my art' --host 127.0.0.1")


@pytest.mark.parametrize(
    ("metric", "label"),
    [(AP50, "mAP@.50"), ("DetectionBoxes_Precision/mAP", "mAP"), (AR100, "AR@100"),
     ("DetectionBoxes_Precision/mAP (small)", "mAP (small)"), ("val_loss", "val_loss")],
)
def test_objective_label(metric: str, label: str) -> None:
    assert objective_label(metric) == label


def _seed_run(trial_dir: Path, seed: int, ap50: float, final: bool = True) -> Path:
    run_dir = trial_dir / f"seed_{seed}"
    run_dir.mkdir(parents=True)
    metrics = {k: ap50 / 2 for k in COCO_METRICS} | {AP50: ap50}
    RunMetrics(name=run_dir.name, arch="ssd", num_classes=3, batch_size=8, resolution=[128, 128],
               optimized_metric=AP50, seed=seed, steps=100, train_seconds=61.0,
               evaluations=[{"step": 100, **metrics}], final=metrics if final else None,
               ).write(run_dir)
    return run_dir


def test_a_trial_with_seeds_is_one_row_of_mean_and_std(tmp_path: Path) -> None:
    trial_dir = tmp_path / "trial_5"
    first = _seed_run(trial_dir, 0, 0.5)
    _seed_run(trial_dir, 1, 0.7)
    found = trial_row(trial_dir)
    assert found is not None
    row, finished = found
    assert finished
    assert row["name"] == "trial_5 (seeds 0, 1)"
    assert row["final"][AP50] == "0.600 ± 0.141 (n=2)"
    # The first seed's files speak for the trial, also when the job set no run_dir.
    assert speaking_run(trial_dir, str(first)) == first
    assert speaking_run(trial_dir, None) == first


def test_a_run_dir_attr_outside_the_trial_is_not_trusted(tmp_path: Path) -> None:
    """A retried trial inherits its predecessor's attrs, run_dir included."""
    trial_dir = tmp_path / "trial_7"
    trial_dir.mkdir()
    (trial_dir / "pipeline.config").write_text("model {}\n")
    assert speaking_run(trial_dir, str(tmp_path / "trial_3")) == trial_dir


def test_a_pruned_first_seed_shows_its_last_evaluation(tmp_path: Path) -> None:
    trial_dir = tmp_path / "trial_2"
    _seed_run(trial_dir, 0, 0.25, final=False)
    found = trial_row(trial_dir)
    assert found is not None
    row, finished = found
    assert not finished
    assert row["final"][AP50] == 0.25 and row["name"] == "trial_2"


def test_a_trial_another_worker_already_failed_gets_nothing_and_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Its worker was presumed lost; the retry, not this late finisher, shows the evidence."""
    from hydra_plugins.tfod_optuna_sweeper._evidence import EvidenceWriter
    from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage

    storage = open_storage(resolve_storage("j.log", tmp_path))
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    run_dir = _seed_run(tmp_path / "trial_0", 0, 0.4)
    (run_dir / "pipeline.config").write_text("model {}\n")
    late, live = trial, study.ask()
    study.tell(late, state=TrialState.FAIL)  # what the reaper of another worker does
    writer = EvidenceWriter(tmp_path / "artifacts", AP50)
    with caplog.at_level("WARNING"):
        writer.attach(study, late, tmp_path / "trial_0", TrialState.COMPLETE, 0.4, None)
        writer.attach(study, live, tmp_path / "trial_0", TrialState.COMPLETE, 0.4, None)
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []
    assert get_all_artifact_meta(study.trials[0], storage=storage) == []
    assert get_note(late) == ""
    # The live one gets its first seed's files (this metrics.json has no per-class AP).
    assert [m.filename for m in get_all_artifact_meta(live, storage=storage)] == [
        "pipeline.config"]
    assert "Trial 1: COMPLETE, mAP@.50 = 0.4000" in get_note(live)


def test_the_evidence_step_loads_no_tensorflow(tmp_path: Path) -> None:
    """The sweeper process draws the chart and writes the note without importing TF."""
    import subprocess
    import sys

    run_dir = _seed_run(tmp_path / "trial_0", 0, 0.4)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics["per_class"] = {"circle": {"AP@.50IOU": 0.5, "AP": 0.3}}
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    code = (
        "import sys, optuna\n"
        "from pathlib import Path\n"
        "from optuna.trial import TrialState\n"
        "from hydra_plugins.tfod_optuna_sweeper._evidence import EvidenceWriter\n"
        "study = optuna.create_study()\n"
        "trial = study.ask()\n"
        f"EvidenceWriter(Path({str(tmp_path / 'art')!r}), 'x/mAP@.50IOU').attach(\n"
        f"    study, trial, Path({str(tmp_path / 'trial_0')!r}), TrialState.COMPLETE, 0.4, None)\n"
        "assert len(list(Path(" + repr(str(tmp_path / "art")) + ").iterdir())) == 1\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'object_detection', 'keras')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
