"""``train.pretrained=coco`` end to end: a single run and a study fine-tune from the zoo
archive, here one built from our own trained checkpoint and served from 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, TINY, run_dir_of, run_sweep
from tests.zoo.zoo_server import checkpoint_files, serve, zoo_archive

pytestmark = [pytest.mark.slow, pytest.mark.long]

NAME = "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8"  # the zoo archive of model=ssd320


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_run_and_a_study_fine_tune_from_the_served_zoo_archive(tiny_run, tmp_path):
    import optuna

    from hydra_plugins.tfod_optuna_sweeper._storages._location import open_storage, resolve_storage

    run_dir, _ = tiny_run
    latest = max(run_dir.glob("ckpt-*.index"), key=lambda p: int(p.stem.split("-")[1]))
    archive = zoo_archive(NAME, checkpoint_files(latest.with_suffix("")),
                          (run_dir / "pipeline.config").read_bytes())  # fmt: skip
    cache = tmp_path / "cache"
    prefix = cache / "zoo" / NAME / "checkpoint" / "ckpt-0"
    with serve() as zoo:
        zoo.files[f"/20200711/{NAME}.tar.gz"] = archive
        env = {"TFOD_SWEEP_CACHE": str(cache), "TFOD_SWEEP_ZOO_MIRROR": zoo.url}
        single = run_sweep(*TINY, "train.num_steps=2", "train.eval_every=2",
                           "train.pretrained=coco", f"paths.outputs={tmp_path / 'one'}",
                           cwd=REPO, env=env)  # fmt: skip
        assert single.returncode == 0, single.stderr[-3000:]
        study = run_sweep("-m", "hparams_search=focal_depth", *TINY, "train.num_steps=2",
                          "train.eval_every=2", "train.pretrained=coco",
                          "hydra.sweeper.n_trials=1", "hydra.sweeper.n_jobs=1",
                          f"paths.outputs={tmp_path / 'study'}", cwd=REPO, env=env,
                          timeout=1200)  # fmt: skip
        assert study.returncode == 0, study.stderr[-3000:]
        assert len(zoo.hits) == 1  # the study reused the single run's download
    assert "resuming from" not in single.stdout
    metrics = json.loads((run_dir_of(tmp_path / "one") / "metrics.json").read_text())
    assert metrics["steps"] == 2
    assert metrics["config"]["train"]["fine_tune_checkpoint"] == str(prefix)
    assert metrics["config"]["train"]["fine_tune_checkpoint_type"] == "detection"
    storage = open_storage(resolve_storage("studies/journal.log", tmp_path / "study"))
    (trial,) = optuna.load_study(study_name="focal_depth", storage=storage).get_trials()
    assert trial.state == optuna.trial.TrialState.COMPLETE
    pipeline = (tmp_path / "study" / "studies" / "focal_depth" / "trial_0" /
                "pipeline.config").read_text()  # fmt: skip
    assert f'fine_tune_checkpoint: "{prefix}"' in pipeline
