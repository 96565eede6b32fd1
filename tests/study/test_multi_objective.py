"""Multi-objective studies through the real sweeper: Pareto front, no pruning, bad input.

The toy returns (mAP@.50, a made-up latency that grows with x) when ``optimized_metric``
is a list of two metrics, so accuracy and speed trade off as in accuracy_latency.yaml.
"""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON, INTERMEDIATE_VALUES
from tests.study.toy_helpers import Toy, last_line

AP50 = "DetectionBoxes_Precision/mAP@.50IOU"
LATENCY = "Latency/median_ms"
TWO = (
    "hydra.sweeper.directions=[maximize,minimize]",
    f"optimized_metric=['{AP50}','{LATENCY}']",
    "hydra.sweeper.pruner=null",
)
SAMPLERS = {
    "nsga2": ("hydra/sweeper/sampler=nsga2", "hydra.sweeper.sampler.population_size=3"),
    "tpe": ("hydra/sweeper/sampler=tpe", "hydra.sweeper.sampler.n_startup_trials=3"),
}


def _latency(params: dict[str, object]) -> float:
    """What the toy returns as its second value for these parameters."""
    return 5.0 + 20.0 * float(params["x"]) ** 2 + 2.0 * int(params["y"])  # type: ignore[arg-type]


def _study(toy: Toy) -> optuna.Study:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(toy.journal)))
    return optuna.load_study(study_name="toy", storage=storage)


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_a_two_objective_study_reaches_n_trials_with_a_pareto_front(
    toy: Toy, sampler: str
) -> None:
    result = toy.run(*TWO, *SAMPLERS[sampler], "hydra.sweeper.n_trials=6")
    assert result.returncode == 0, result.stderr
    study = _study(toy)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    # Both values reached the storage, in the order of optimized_metric.
    for trial in trials:
        assert trial.values[0] == pytest.approx(trial.params["x"])
        assert trial.values[1] == pytest.approx(_latency(trial.params))
        # No Optuna intermediate values (it refuses them); the curve is a user attr.
        assert trial.intermediate_values == {}
        assert trial.user_attrs[INTERMEDIATE_VALUES] == pytest.approx(
            {str(step): trial.params["x"] * step / 4 for step in range(1, 5)})
    front = study.best_trials
    assert front
    # Every trial off the front is dominated by one on it.
    on_front = {t.number for t in front}
    for trial in trials:
        if trial.number not in on_front:
            assert any(f.values[0] >= trial.values[0] and f.values[1] <= trial.values[1]
                       for f in front)
    # optuna-dashboard labels its Pareto-front axes with these names.
    assert study.metric_names == ["mAP@.50", LATENCY]
    nsga = [t for t in trials if "NSGAIISampler:generation" in t.system_attrs]
    assert bool(nsga) == (sampler == "nsga2")
    summary = result.stdout
    assert f"Pareto-optimal trials ({len(front)}) of mAP@.50 (maximize), {LATENCY} " \
           "(minimize):" in summary
    for trial in front:
        assert f"  trial {trial.number}: values ({trial.values[0]:.6g}, " \
               f"{trial.values[1]:.6g}), params" in summary
    assert "best vs baseline: applies to single-objective studies only" in summary
    assert "best: trial" not in summary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*TWO[:2]],  # the toy study's default pruner (median) is still set
         "hydra.sweeper.pruner: Optuna cannot prune a multi-objective study (2 directions); "
         "set hydra.sweeper.pruner=null"),
        ([*TWO[:2], "hydra/sweeper/pruner=hyperband"], "cannot prune a multi-objective study"),
        ([*TWO, "hydra/sweeper/sampler=cmaes"],
         "hydra/sweeper/sampler=cmaes cannot run a multi-objective study"),
        ([*TWO, "hydra.sweeper.direction=maximize"],
         "set hydra.sweeper.direction (one objective) or hydra.sweeper.directions"),
        ([*TWO[1:], "hydra.sweeper.directions=[maximize,sideways]"],
         "hydra.sweeper.directions must be a non-empty list of maximize/minimize"),
        ([TWO[0], TWO[2]], "optimized_metric names 1 metric(s) but the study has 2 direction"),
    ],
    ids=["default-pruner", "hyperband", "cmaes", "both-keys", "bad-direction", "count"],
)
def test_bad_multi_objective_settings_are_one_line_before_any_trial(
    toy: Toy, args: list[str], message: str
) -> None:
    result = toy.run(*args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert toy.trials() == []


def test_nop_pruner_is_accepted_on_a_multi_objective_study(toy: Toy) -> None:
    result = toy.run(*TWO[:2], "hydra/sweeper/pruner=nop", "hydra.sweeper.n_trials=1")
    assert result.returncode == 0, result.stderr
    assert [t.state for t in toy.trials()] == [TrialState.COMPLETE]


def test_a_tuple_of_the_wrong_length_is_a_failed_trial(toy: Toy) -> None:
    result = toy.run(*TWO, "return_count=3", "hydra.sweeper.n_trials=2",
                     "hydra.sweeper.max_failure_rate=1.0")
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert [t.state for t in trials] == [TrialState.FAIL] * 2
    assert trials[0].user_attrs[FAIL_REASON] == (
        "ValueError: job returned 3 value(s), but the study has 2 directions")


def test_a_resumed_study_keeps_its_directions(toy: Toy) -> None:
    assert toy.run(*TWO, "hydra.sweeper.n_trials=1").returncode == 0
    result = toy.run("hydra.sweeper.n_trials=2", "hydra.sweeper.pruner=null")
    assert result.returncode == 2
    assert last_line(result.stderr) == (
        "error: study 'toy' already exists with directions [maximize, minimize], not "
        "maximize")
    assert len(toy.trials()) == 1


def test_export_of_a_multi_objective_study_needs_a_trial(toy: Toy) -> None:
    """The sweep's own study dir: no single best, so the error lists the Pareto trials."""
    assert toy.run(*TWO, *SAMPLERS["tpe"], "hydra.sweeper.n_trials=4").returncode == 0
    front = sorted(t.number for t in _study(toy).best_trials)
    result = subprocess.run(
        [sys.executable, "-m", "sweep.export", str(toy.cwd / "outputs" / "studies" / "toy")],
        capture_output=True, text=True, timeout=120, cwd=toy.cwd)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0] == (
        "error: study 'toy' has 2 objectives, so no single best trial: pass --trial N "
        f"(Pareto-optimal trials: {', '.join(map(str, front))})")


def test_enqueued_points_draw_their_unlisted_parameters_apart(toy: Toy) -> None:
    """All enqueued trials exist before the first runs; each still gets its own stream."""
    result = toy.run("hydra.sweeper.enqueue=[{x:0.5},{x:0.6},{x:0.7}]",
                     "hydra.sweeper.n_trials=3", "hydra.sweeper.pruner=null")
    assert result.returncode == 0, result.stderr
    trials = toy.trials()
    assert [t.params["x"] for t in trials] == [0.5, 0.6, 0.7]
    assert len({(t.params["y"], t.params["opt"]) for t in trials}) > 1


def test_a_one_item_metric_list_is_a_single_objective_study(toy: Toy) -> None:
    """The app returns a one-item tuple for it; the study takes its value."""
    result = toy.run(f"optimized_metric=['{AP50}']", "hydra.sweeper.n_trials=1",
                     "hydra.sweeper.enqueue=[{x:0.4}]")
    assert result.returncode == 0, result.stderr
    (trial,) = toy.trials()
    assert trial.state == TrialState.COMPLETE and trial.value == pytest.approx(0.4)
    assert "best: trial 0, value 0.4" in result.stdout
