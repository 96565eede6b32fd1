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

TINY = (
    "resolution=128", "train.batch_size=2", "train.num_steps=6", "train.eval_every=3",
    "train.checkpoint_every=3", "eval.max_images=8", "dataset.synthetic.train_images=16",
    "dataset.synthetic.val_images=8",
)


def test_focal_depth_study_records_trials_with_metrics_over_two_seeds(tmp_path):
    import optuna

    from hydra_plugins.tfod_optuna_sweeper._storage import open_storage, resolve_storage

    result = run_sweep("-m", "hparams_search=focal_depth", *TINY, f"paths.outputs={tmp_path}",
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
