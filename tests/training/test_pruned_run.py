"""A pruned trial keeps what it trained: steps, time and evaluations, in metrics.json and attrs.

The trial is a real Optuna trial in an in-memory study, reported to through the sweeper's
own TrialReporter; its pruner stops every trial at its first evaluation.
"""

from __future__ import annotations

import json

import pytest

from tfod_sweep.runner import run_experiment

pytestmark = pytest.mark.slow

TINY = (
    "experiment=demo", "train.batch_size=2", "train.num_steps=4", "train.eval_every=2",
    "train.checkpoint_every=2", "eval.max_images=2", "eval.latency_images=0",
    "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
)


def test_a_pruned_trial_keeps_its_training_time(compose_cfg, tmp_path):
    import optuna

    from hydra_plugins.tfod_optuna_sweeper.reporter import TrialReporter

    # No mAP reaches 2.0, so the pruner stops the trial at its first report (step 2).
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    trial = study.ask()
    run_dir = tmp_path / "trial_0"
    with pytest.raises(optuna.TrialPruned):
        run_experiment(compose_cfg(*TINY), run_dir,
                       TrialReporter(study, trial))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["steps"] == 2
    assert [e["step"] for e in metrics["evaluations"]] == [2]
    assert metrics["train_seconds"] > 0
    # ... and so does the trial in optuna-dashboard and the study report.
    attrs = study.trials[0].user_attrs
    assert attrs["steps"] == 2
    assert attrs["train_seconds"] == pytest.approx(metrics["train_seconds"])
