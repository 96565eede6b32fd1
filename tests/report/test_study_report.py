"""`python -m sweep.report <study dir>` over a real toy study in a real journal file.

The study (tests/report/conftest.py) has COMPLETE, FAIL and PRUNED trials; every number
the report shows is checked against the storage, read here with plain Optuna.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState
from PIL import Image

from sweep.report import main
from tests.conftest import REPO
from tests.report.conftest import STUDY, MadeStudy, table
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS
from tfod_sweep.run_metrics import RunMetrics

PLOTS = {"curves.png", "history.png", "importances.png", "slices.png", "contour.png",
         "per_class_ap50.png"}
PREVIEW = "best_preview.png"  # a copy of the best trial's own preview.png


def stored_trials(journal: Path) -> list[FrozenTrial]:
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return optuna.load_study(study_name=STUDY, storage=storage).get_trials()


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def made_report(focal_study: MadeStudy) -> Path:
    """The report of the untouched study, written by the CLI in its own process."""
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from sweep.report import main; code = main(sys.argv[1:]); "
         "assert 'tensorflow' not in sys.modules, 'the report imported TensorFlow'; "
         "sys.exit(code)", str(focal_study.study_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    folder = focal_study.study_dir / "report"
    assert f"report: {folder / 'index.html'}" in result.stdout
    return folder


def test_every_plot_is_a_png_of_plausible_size(focal_study: MadeStudy,
                                               made_report: Path) -> None:
    assert {p.name for p in made_report.glob("*.png")} == PLOTS | {PREVIEW}
    best_preview = focal_study.study_dir / "trial_6" / "preview.png"
    assert (made_report / PREVIEW).read_bytes() == best_preview.read_bytes()
    for name in PLOTS:
        path = made_report / name
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size[0] >= 600 and image.size[1] >= 150, (name, image.size)
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50, f"{name} looks blank"
        assert path.stat().st_size > 10_000, name


def test_index_html_shows_every_png_and_nothing_external(made_report: Path) -> None:
    page = (made_report / "index.html").read_text()
    markdown = (made_report / "report.md").read_text()
    shown = re.findall(r'<img src="([^"]+)"', page)
    assert set(shown) == PLOTS | {PREVIEW} and len(shown) == len(PLOTS) + 1
    assert set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)) == PLOTS | {PREVIEW}
    assert all((made_report / name).is_file() for name in shown)
    assert "<script" not in page and "http" not in page.replace("<!DOCTYPE html>", "")
    for caption in ("Trials", "Average Precision", "Average Recall", "loss",
                    "Best vs baseline"):
        assert f"<strong>{caption}</strong>" in page


def test_trials_table_equals_the_storage(focal_study: MadeStudy, made_report: Path) -> None:
    markdown = (made_report / "report.md").read_text()
    rows = table(markdown, "Trials")
    trials = stored_trials(focal_study.journal)
    assert [row["trial"] for row in rows] == [f"trial_{t.number}" for t in trials]
    objective = list(rows[0])[2]
    for row, trial in zip(rows, trials, strict=True):
        assert row["state"] == trial.state.name
        for name, value in trial.params.items():
            if isinstance(value, float):
                assert float(row[name]) == pytest.approx(value, rel=1e-3), (trial.number, name)
            else:
                assert row[name] == str(value)
        if trial.state == TrialState.COMPLETE:
            assert row[objective] == f"{trial.value:.4f}"
            assert row["steps"] == str(trial.user_attrs["steps"])
        else:
            assert row[objective] == ""
        if trial.state == TrialState.FAIL:
            assert trial.user_attrs["fail_reason"] in row["note"]
            assert "toy failure: x=0.05 is below 0.1" in row["note"]
        if trial.state == TrialState.PRUNED:
            step, value = max(trial.intermediate_values.items())
            assert f"pruned at step {step} ({value:.4f})" in row["note"]
            assert row["steps"] == str(step)
    assert rows[0]["note"] == "baseline (first enqueued)"
    assert rows[1]["note"] == "enqueued"


def test_verdict_and_logbook_tables_name_every_trial(focal_study: MadeStudy,
                                                     made_report: Path) -> None:
    markdown = (made_report / "report.md").read_text()
    complete = [t for t in stored_trials(focal_study.journal) if t.state == TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value)
    baseline = complete[0]
    verdict = markdown.split("**Best vs baseline**", 1)[1]
    assert (f"best trial {best.number}: {best.value:.3f} (n=1) vs baseline trial "
            f"{baseline.number}: {baseline.value:.3f} (n=1); difference "
            f"{best.value - baseline.value:+.3f}") in verdict
    for caption in ("Average Precision", "Average Recall", "loss"):
        rows = table(markdown, caption)
        assert [row["No"] for row in rows] == [f"trial_{n}" for n in range(7)]
        assert [row["steps"] for row in rows] == ["4", "4", "n/a", "4", "4", "1", "4"]
    assert f"best: trial_{best.number}" in markdown


def test_logbook_tables_equal_the_storage(focal_study: MadeStudy, made_report: Path) -> None:
    """A COMPLETE trial's 12 COCO metrics and losses, as its user attributes hold them."""
    markdown = (made_report / "report.md").read_text()
    tables = [table(markdown, caption) for caption in ("Average Precision", "Average Recall",
                                                       "loss")]
    names = (COCO_METRICS[:6], COCO_METRICS[6:], LOSS_COMPONENTS["ssd"])
    for trial in stored_trials(focal_study.journal):
        for rows, metrics in zip(tables, names, strict=True):
            row = rows[trial.number]
            shown = list(row.values())[1:1 + len(metrics)]
            if trial.state == TrialState.COMPLETE:
                assert shown == [f"{trial.user_attrs[m]:.3f}" for m in metrics], trial.number
            else:  # FAIL before, PRUNED at, its first evaluation: nothing was recorded
                assert shown == ["n/a"] * len(metrics)


def test_pruned_trial_is_cut_and_the_best_trials_evidence_is_shown(made_report: Path) -> None:
    markdown = (made_report / "report.md").read_text()
    assert "a pruned trial ends in a cross where the pruner cut it" in markdown
    assert "PED-ANOVA importance" in markdown and "(3 of 5 COMPLETE trials)" in markdown
    assert "![per-class AP@.50 of trial_6](per_class_ap50.png)" in markdown
    assert f"![trial_6: val images with ground truth and detections]({PREVIEW})" in markdown


def _finished_run(run_dir: Path, value: float, seed: int, per_class: bool) -> None:
    final = {name: value for name in COCO_METRICS}
    final.update({name: 0.25 for name in LOSS_COMPONENTS["ssd"]})
    run_dir.mkdir(parents=True, exist_ok=True)
    RunMetrics(
        name="ssd320", arch="ssd", num_classes=3, batch_size=8, resolution=[128, 128],
        optimized_metric=COCO_METRICS[1], seed=seed, steps=4, train_seconds=61.0,
        config={"train": {"seed": seed}}, evaluations=[{"step": 4, **final}], final=final,
        per_class={"circle": {"AP@.50IOU": 0.9, "AP": 0.6},
                   "square": {"AP@.50IOU": 0.4, "AP": 0.2}} if per_class else {},
    ).write(run_dir)


def test_seeded_trials_show_mean_and_std_from_the_storage_and_their_run_dirs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """seeds_per_trial=3 as the sweeper stores it: value_per_seed, run_dir of seed 0.

    Trial 0's recorded run dir is gone (moved from another machine): its seeds are found
    under the study dir given on the command line. Trial 1's run dir is where it says.
    """
    journal, study_dir = tmp_path / "journal.log", tmp_path / "seeded"
    study = optuna.create_study(study_name="seeded", direction="maximize",
                                storage=JournalStorage(JournalFileBackend(str(journal))))
    study.enqueue_trial({"loss.gamma": 2.0})
    elsewhere = tmp_path / "elsewhere" / "trial_1"
    for number, per_seed, trial_dir, recorded in (
            (0, (0.30, 0.31, 0.29), study_dir / "trial_0", Path("/gone/trial_0/seed_0")),
            (1, (0.50, 0.52, 0.48), elsewhere, elsewhere / "seed_0")):
        trial = study.ask({"loss.gamma": optuna.distributions.FloatDistribution(0.5, 4.0)})
        trial.set_user_attr("value_per_seed", list(per_seed))
        trial.set_user_attr("run_dir", str(recorded))
        for seed, value in enumerate(per_seed):
            _finished_run(trial_dir / f"seed_{seed}", value, seed, per_class=number == 1)
        study.tell(trial, sum(per_seed) / 3)
    code, out, err = report(capsys, str(study_dir), "--storage", str(journal))
    assert code == 0, err
    rows = table(out, "Trials")
    assert [row["Objective Value"] for row in rows] == [
        "0.3000 ± 0.0100 (n=3)", "0.5000 ± 0.0200 (n=3)"]
    assert rows[0]["note"] == "baseline (first enqueued)" and rows[0]["loss.gamma"] == "2.0"
    verdict = out.split("**Best vs baseline**", 1)[1]
    assert "best trial 1: 0.500 ± 0.020 (n=3) vs baseline trial 0: 0.300 ± 0.010 (n=3)" in verdict
    assert "the difference exceeds 2 x standard error" in verdict
    ap = {row["No"]: row for row in table(out, "Average Precision")}
    assert ap["trial_0 (seeds 0, 1, 2)"]["mAP @.50IOU"] == "0.300 ± 0.010 (n=3)"
    assert ap["trial_1 (seeds 0, 1, 2)"]["mAP"] == "0.500 ± 0.020 (n=3)"
    assert ap["trial_1 (seeds 0, 1, 2)"]["training time"] == "0h 1m 1s"
    folder = study_dir / "report"
    with Image.open(folder / "per_class_ap50.png") as image:
        assert image.format == "PNG" and image.size[0] >= 400
    markdown = (folder / "report.md").read_text()
    assert "![per-class AP@.50 of trial_1 (seed_0)](per_class_ap50.png)" in markdown
    assert f"preview of trial_1: no preview.png in {elsewhere / 'seed_0'}" in markdown
    assert not (folder / PREVIEW).exists()


def test_a_best_trial_without_a_run_dir_and_a_waiting_trial_are_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "journal.log"
    study = optuna.create_study(study_name="bare", direction="maximize",
                                storage=JournalStorage(JournalFileBackend(str(journal))))
    study.optimize(lambda trial: trial.suggest_float("loss.alpha", 0.1, 0.9), n_trials=2)
    study.enqueue_trial({"loss.alpha": 0.3})  # a point waiting for a worker
    code, out, err = report(capsys, "--storage", str(journal), "--out", str(tmp_path / "r"))
    assert code == 0, err
    waiting = table(out, "Trials")[-1]
    assert (waiting["state"], waiting["loss.alpha"]) == ("WAITING", "0.3")
    assert waiting["note"] == "baseline (first enqueued); waiting to start"
    markdown = (tmp_path / "r" / "report.md").read_text()
    best = study.best_trial.number
    assert f"trial_{best}: its run dir was not found, so no per-class AP or preview" in markdown
    assert "parameter importances: not drawn, 2 COMPLETE trials (needs 5)" in markdown
    assert "contour: not drawn, the study has fewer than two numeric parameters" in markdown


def test_a_running_study_reports_its_running_trial(
        focal_study: MadeStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = focal_study.copy(tmp_path / "copy")
    storage = JournalStorage(JournalFileBackend(str(copy.journal)))
    study = optuna.load_study(study_name=STUDY, storage=storage)
    running = study.ask(fixed_distributions=study.trials[0].distributions)
    running.report(0.1234, 1)  # a worker mid-trial: one evaluation so far, not told
    code, out, err = report(capsys, str(copy.study_dir), "--storage", str(copy.journal))
    assert code == 0, err
    row = table(out, "Trials")[-1]
    assert row["trial"] == "trial_7" and row["state"] == "RUNNING"
    assert row["note"] == "running, last evaluation at step 1 (0.1234)"
    assert "7 trials" not in out and "8 trials: COMPLETE 5, PRUNED 1, FAIL 1, RUNNING 1" in out
    assert (copy.study_dir / "report" / "curves.png").is_file()
    assert plt.get_fignums() == []  # every figure was closed


def test_a_study_dir_without_multirun_yaml_finds_the_journal_beside_it(
        focal_study: MadeStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = focal_study.copy(tmp_path / "copy")
    (copy.study_dir / "multirun.yaml").unlink()
    code, out, err = report(capsys, str(copy.study_dir))
    assert code == 0, err
    assert f"storage: {copy.journal}" in out and "| trial_5 | PRUNED |" in out


def test_storage_and_study_alone_write_report_study_in_the_working_dir(
        focal_study: MadeStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = report(capsys, "--storage", str(focal_study.journal), "--study", STUDY)
    assert code == 0, err
    assert (tmp_path / f"report_{STUDY}" / "index.html").is_file()
    assert {p.name for p in (tmp_path / f"report_{STUDY}").glob("*.png")} == PLOTS | {PREVIEW}


@pytest.mark.parametrize(("args", "message"), [
    (["{study}", "--study", "nope"],
     "error: study 'nope' not found in storage {journal}; studies there: focal_toy"),
    (["{empty}"], "error: no finished run (metrics.json with a final evaluation) found"),
    (["--storage", "{garbage}", "--study", "x"],
     "error: cannot open storage {garbage}: JSONDecodeError: Expecting value: line 1 column 1"
     " (char 0)"),
    (["--storage", "{empty}/journal.log"], "error: storage {empty}/journal.log: no such "
                                           "journal file"),
    (["--storage", "postgresql://tfod:s3cret@127.0.0.1:1/studies", "--study", "x"],
     "error: cannot open storage postgresql+psycopg://tfod:***@127.0.0.1:1/studies: "),
    (["{empty}/nothing"], "error: {empty}/nothing: no such file or directory"),
    ([], "error: give a study, run or multirun dir, or --storage (and --study)"),
    (["{study}", "{empty}"], "error: a study is reported alone: {study} is study focal_toy, "
                             "drop the other 1 path(s)"),
], ids=["unknown-study", "empty-dir", "not-a-journal", "missing-journal", "postgres-down",
        "missing-path", "nothing", "study-and-more"])
def test_bad_input_is_one_line_and_exit_code_2(
        focal_study: MadeStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.log").write_text("hello\nworld\n")
    values = {"study": str(focal_study.study_dir), "journal": str(focal_study.journal),
              "empty": str(tmp_path / "empty"), "garbage": str(tmp_path / "garbage.log")}
    code, out, err = report(capsys, *(arg.format(**values) for arg in args))
    assert code == 2
    assert err.startswith(message.format(**values)), err
    assert err.count("\n") == 1 and out == ""
    assert "s3cret" not in err
    assert not (tmp_path / "empty" / "report").exists()


def test_the_library_reads_the_sweepers_attribute_names() -> None:
    from hydra_plugins.tfod_optuna_sweeper import _attrs
    from tfod_sweep.review import source, trials

    assert (trials.FAIL_REASON, trials.INTERRUPTED, trials.DISCARDED) == (
        _attrs.FAIL_REASON, _attrs.INTERRUPTED, _attrs.DISCARDED)
    assert (trials.INTERMEDIATE_VALUES, trials.VALUES_PER_SEED) == (
        _attrs.INTERMEDIATE_VALUES, _attrs.VALUES_PER_SEED)
    from hydra_plugins.tfod_optuna_sweeper._conf import SWEEPER_TARGET

    assert source.SWEEPER_TARGET == SWEEPER_TARGET


def test_report_md_and_index_html_show_the_same_cells(made_report: Path) -> None:
    """Every cell of the markdown tables is a cell of the page."""
    markdown = (made_report / "report.md").read_text()
    page = (made_report / "index.html").read_text()
    for caption in ("Trials", "Average Precision"):
        for row in table(markdown, caption):
            for cell in row.values():
                assert f"<td>{html.escape(cell)}</td>" in page

