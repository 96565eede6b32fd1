"""A real focal_depth study: the app trains real models as trials of our sweeper."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, run_sweep
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS

pytestmark = pytest.mark.slow

TINY = (
    "resolution=128", "train.batch_size=2", "train.num_steps=6", "train.eval_every=3",
    "train.checkpoint_every=3", "eval.max_images=8", "dataset.synthetic.train_images=16",
    "dataset.synthetic.val_images=8",
)


def test_focal_depth_study_records_trials_with_metrics(tmp_path):
    import optuna

    from tfod_sweep.study.storage import open_storage, resolve_storage

    result = run_sweep("-m", "hparams_search=focal_depth", *TINY, f"paths.outputs={tmp_path}",
                       "hydra.sweeper.n_trials=2", cwd=REPO, timeout=1200)
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
        run_dir = tmp_path / "studies" / "focal_depth" / f"trial_{trial.number}"
        assert (run_dir / "pipeline.config").is_file()
        if trial.state == optuna.trial.TrialState.COMPLETE:
            for name in (*COCO_METRICS, *LOSS_COMPONENTS["ssd"], "steps", "train_seconds",
                         "images_per_second", "run_dir", "pipeline_config"):
                assert name in trial.user_attrs, name
            assert trial.value == pytest.approx(
                trial.user_attrs["DetectionBoxes_Precision/mAP@.50IOU"])
            assert trial.user_attrs["run_dir"] == str(run_dir.resolve())
