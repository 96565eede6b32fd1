"""`python -m sweep.report` on a multi-objective toy study: Pareto table, Pareto PNG, no crash.

The toy returns (mAP@.50, latency) with latency = 5 + 20 x^2 + 2 y; the enqueued points
put trials 0, 2, 3 and 6 on the front, 1 and 5 behind it, and 4 fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState
from PIL import Image

from tests.conftest import REPO
from tests.report.conftest import STUDY, FocalToy, table

AP50 = "DetectionBoxes_Precision/mAP@.50IOU"
LATENCY = "Latency/median_ms"
POINTS = "[{x:0.6,y:1},{x:0.5,y:3},{x:0.9,y:1},{x:0.3,y:1},{x:0.05,y:1},{x:0.8,y:3},{x:0.7,y:2}]"
FRONT = [0, 2, 3, 6]
# tab:red and tab:gray, the colours of front and dominated points in plots.pareto_chart.
RED, GRAY = (214, 39, 40), (127, 127, 127)


@pytest.fixture(scope="module")
def pareto_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, optuna.Study]:
    cwd = tmp_path_factory.mktemp("pareto_study")
    result = FocalToy(cwd).run(
        "hydra.sweeper.directions=[maximize,minimize]",
        f"optimized_metric=['{AP50}','{LATENCY}']",
        "hydra.sweeper.pruner=null", "+hydra.sweeper.params.y='int(interval(1,3))'",
        f"hydra.sweeper.enqueue={POINTS}", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    storage = JournalStorage(JournalFileBackend(str(cwd / "outputs/studies/journal.log")))
    study = optuna.load_study(study_name=STUDY, storage=storage)
    assert sorted(t.number for t in study.best_trials) == FRONT
    return cwd / "outputs" / "studies" / STUDY, study


@pytest.fixture(scope="module")
def pareto_report(pareto_study: tuple[Path, optuna.Study]) -> tuple[Path, str]:
    study_dir, _ = pareto_study
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from sweep.report import main; code = main(sys.argv[1:]); "
         "assert 'tensorflow' not in sys.modules, 'the report imported TensorFlow'; "
         "sys.exit(code)", str(study_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return study_dir / "report", result.stdout


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(count for count, rgb in image.getcolors(maxcolors=1_000_000) or []
               if max(abs(a - b) for a, b in zip(rgb, colour, strict=True)) < 8)


def test_the_pareto_png_draws_every_trial_and_highlights_the_front(
    pareto_report: tuple[Path, str]
) -> None:
    folder, _ = pareto_report
    path = folder / "pareto.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 300
        rgb = image.convert("RGB")
    assert _count(rgb, RED) > 200  # four front markers and the staircase between them
    assert _count(rgb, GRAY) > 50  # the two dominated trials
    markdown = (folder / "report.md").read_text()
    assert "![mAP@.50 against Latency/median_ms: every COMPLETE trial, the Pareto-optimal " \
           "ones highlighted and joined by the front's staircase](pareto.png)" in markdown
    assert 'src="pareto.png"' in (folder / "index.html").read_text()


def test_the_pareto_table_lists_exactly_the_front_with_stored_values(
    pareto_study: tuple[Path, optuna.Study], pareto_report: tuple[Path, str]
) -> None:
    _, study = pareto_study
    folder, stdout = pareto_report
    markdown = (folder / "report.md").read_text()
    rows = table(markdown, "Pareto-optimal trials")
    assert [row["trial"] for row in rows] == [f"trial_{n}" for n in FRONT]
    for row in rows:
        trial = study.trials[int(row["trial"].removeprefix("trial_"))]
        assert row["mAP@.50"] == f"{trial.values[0]:.4f}"
        assert row[LATENCY] == f"{trial.values[1]:.4f}"
        assert row["x"] == f"{trial.params['x']:.4g}"
    # Every trial, one column per objective; FAIL has none.
    trials = table(markdown, "Trials")
    assert [row["state"] for row in trials] == [t.state.name for t in study.trials]
    for row, trial in zip(trials, study.trials, strict=True):
        if trial.state == TrialState.COMPLETE:
            assert (row["mAP@.50"], row[LATENCY]) == (f"{trial.values[0]:.4f}",
                                                      f"{trial.values[1]:.4f}")
        else:
            assert (row["mAP@.50"], row[LATENCY]) == ("", "")
    assert "directions: maximize, minimize; 7 trials: COMPLETE 6, FAIL 1" in stdout
    assert "Pareto-optimal: trial_0, trial_2, trial_3, trial_6" in stdout
    assert "applies to single-objective studies only (this study has 2 objectives)" in stdout
    assert "best: trial" not in stdout


def test_the_other_plots_follow_the_first_objective(pareto_report: tuple[Path, str]) -> None:
    folder, _ = pareto_report
    pngs = {p.name for p in folder.glob("*.png")}
    # Learning curves from the intermediate_values attr; no best trial, so no evidence.
    assert pngs == {"pareto.png", "curves.png", "history.png", "importances.png",
                    "slices.png", "contour.png"}
    markdown = (folder / "report.md").read_text()
    assert re.search(r"every COMPLETE trial's value and the best so far \(the first "
                     r"objective, mAP@\.50\)", markdown)
    assert "a multi-objective study has no single best" in markdown


def test_a_seeded_multi_objective_trial_shows_each_objective_over_its_seeds() -> None:
    """What the runner stores with seeds_per_trial=3: the per-objective mean as values."""
    from tfod_sweep.objectives import seed_summary
    from tfod_sweep.review.trials import format_value, trial_row

    means, attrs = seed_summary([0, 1, 2], [(0.4, 30.0), (0.6, 34.0), (0.5, 29.0)])
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.add_trial(optuna.trial.create_trial(
        state=TrialState.COMPLETE, values=list(means), params={"x": 0.5},
        distributions={"x": optuna.distributions.FloatDistribution(0.0, 1.0)},
        user_attrs={**attrs, "intermediate_values": {"6": 0.2, "12": 0.5}}))
    row = trial_row(study.trials[0], None)
    assert row.objective_seeds == ((0.4, 0.6, 0.5), (30.0, 34.0, 29.0))
    assert [format_value(v) for v in row.objective_seeds] == [
        "0.5000 ± 0.1000 (n=3)", "31.0000 ± 2.6458 (n=3)"]
    assert row.seed_values == (0.4, 0.6, 0.5) and row.value == pytest.approx(0.5)
    assert row.curve == ((6, 0.2), (12, 0.5))


def test_each_trials_dashboard_note_names_both_objectives(
    pareto_study: tuple[Path, optuna.Study]
) -> None:
    from optuna_dashboard import get_note

    _, study = pareto_study
    trial = study.trials[0]
    note = get_note(optuna.Trial(study, trial._trial_id))
    assert note.startswith(f"### Trial 0: COMPLETE, mAP@.50 = {trial.values[0]:.4f}, "
                           f"{LATENCY} = {trial.values[1]:.4f}")
