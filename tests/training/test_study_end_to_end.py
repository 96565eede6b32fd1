"""A real focal_depth study: the app trains real models as trials of our sweeper."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, run_sweep
from tfod_sweep.metric_names import (
    COCO_METRICS,
    FLOPS,
    LATENCY_MEDIAN,
    LOSS_COMPONENTS,
    PARAMETERS,
)

pytestmark = pytest.mark.slow
METRIC = "DetectionBoxes_Precision/mAP@.50IOU"

TINY = (
    "resolution=128", "train.batch_size=2", "train.num_steps=6", "train.eval_every=3",
    "train.checkpoint_every=3", "eval.max_images=8", "dataset.synthetic.train_images=16",
    "dataset.synthetic.val_images=8",
)


def test_focal_depth_study_records_trials_with_metrics_over_two_seeds(tmp_path):
    import optuna

    from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage, resolve_storage

    # The classic study (no race): n_trials points, each averaged over its seeds.
    result = run_sweep("-m", "hparams_search=focal_depth", *TINY, f"paths.outputs={tmp_path}",
                       "hydra.sweeper.race=null", "hydra.sweeper.budget=null",
                       "hydra.sweeper.n_trials=2", "hydra.sweeper.seeds_per_trial=2",
                       cwd=REPO, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    storage = open_storage(resolve_storage("studies/journal.log", tmp_path))
    study = optuna.load_study(study_name="focal_depth", storage=storage)
    trials = study.get_trials()
    assert len(trials) == 2
    # The first trial is the enqueued zoo default.
    assert trials[0].params["loss.gamma"] == 2.0 and trials[0].params["backbone.min_depth"] == 16
    for trial in trials:
        assert trial.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        assert trial.intermediate_values, "no evaluation was reported"
        trial_dir = tmp_path / "studies" / "focal_depth" / f"trial_{trial.number}"
        run_dir = trial_dir / "seed_0"  # the seed that reports the curve
        assert (run_dir / "pipeline.config").is_file()
        if trial.state == optuna.trial.TrialState.COMPLETE:
            for name in (*COCO_METRICS, *LOSS_COMPONENTS["ssd"], "steps", "train_seconds",
                         "images_per_second", "run_dir", "pipeline_config"):
                assert name in trial.user_attrs, name
            per_seed = [json.loads((trial_dir / f"seed_{seed}" / "metrics.json").read_text())
                        for seed in (0, 1)]
            values = [m["final"]["DetectionBoxes_Precision/mAP@.50IOU"] for m in per_seed]
            assert trial.user_attrs["value_per_seed"] == pytest.approx(values)
            assert trial.user_attrs["seeds"] == [0, 1] and trial.user_attrs["n_seeds"] == 2
            assert trial.value == pytest.approx(sum(values) / 2)
            assert trial.user_attrs["value_mean"] == pytest.approx(trial.value)
            assert [m["seed"] for m in per_seed] == [0, 1]
            assert all(m["trial"]["number"] == trial.number for m in per_seed)
            assert trial.user_attrs["run_dir"] == str(run_dir.resolve())
            # The trained model's own cost, as a multi-objective study would optimise it.
            assert trial.user_attrs[LATENCY_MEDIAN] > 0
            assert trial.user_attrs[PARAMETERS] == per_seed[0]["inference"][PARAMETERS] > 0
            assert trial.user_attrs[FLOPS] is None or trial.user_attrs[FLOPS] > 0
    # The summary compares the best trial with the baseline (trial 0, enqueued).
    assert "baseline" in result.stdout


@pytest.mark.long
def test_the_default_study_races_real_runs_and_confirms_on_fresh_seeds(tmp_path):
    """focal_depth as shipped, shrunk: 3 selection runs (the baseline continues its rung-3
    checkpoint to step 6), then the other point and the baseline on two fresh seeds."""
    import optuna

    from hydra_plugins.tfod_optuna_sweeper._race._trials import assignment_of
    from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage, resolve_storage

    result = run_sweep("-m", "hparams_search=focal_depth", *TINY, f"paths.outputs={tmp_path}",
                       "hydra.sweeper.budget=3 runs", "hydra.sweeper.race.confirm_seeds=2",
                       "eval.latency_images=0", cwd=REPO, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    storage = open_storage(resolve_storage("studies/journal.log", tmp_path))
    trials = optuna.load_study(study_name="focal_depth", storage=storage).get_trials()
    assert {t.state for t in trials} == {optuna.trial.TrialState.COMPLETE}
    runs = {t.number: assignment_of(t) for t in trials}
    assert [(a.candidate, a.seed, a.start, a.steps, a.role) for a in runs.values()] == [
        (0, 0, 0, 3, "search"), (1, 0, 0, 3, "search"), (0, 0, 3, 6, "search"),
        (1, 1000, 0, 6, "confirm"), (0, 1000, 0, 6, "confirm"),
        (1, 1001, 0, 6, "confirm"), (0, 1001, 0, 6, "confirm")]
    for trial in trials:
        metrics = json.loads((tmp_path / "studies" / "focal_depth" / f"trial_{trial.number}"
                              / "metrics.json").read_text())
        assignment = runs[trial.number]
        assert metrics["seed"] == assignment.seed
        assert metrics["steps"] == assignment.steps
        assert trial.value == pytest.approx(metrics["final"][METRIC])
    # The promoted run continued the rung's run: its curve starts with that evaluation.
    promoted = json.loads((tmp_path / "studies" / "focal_depth" / "trial_2" /
                           "metrics.json").read_text())
    first = json.loads((tmp_path / "studies" / "focal_depth" / "trial_0" /
                        "metrics.json").read_text())
    assert promoted["evaluations"][0] == first["evaluations"][-1]
    assert trials[2].params == trials[0].params
    assert "verdict: " in result.stdout
