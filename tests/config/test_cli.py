"""`--help`, `--cfg job` and `dry_run=true` work like any Hydra app's, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, run_sweep

# Runs the app in-process with argv, then reports whether TensorFlow got imported.
PROBE = """
import sys
sys.argv = ["sweep", *{args!r}]
import runpy
try:
    runpy.run_module("sweep", run_name="__main__")
except SystemExit:
    pass
print("TF_IMPORTED=" + str("tensorflow" in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["--cfg", "job"], ["model=centernet512",
                                                                 "--cfg", "job"]])
def test_help_and_cfg_import_no_tensorflow(args):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "TF_IMPORTED=False" in result.stdout


def test_help_lists_groups_and_examples():
    result = run_sweep("--help", cwd=REPO, timeout=60)
    assert result.returncode == 0
    for text in ("model: ", "centernet512", "ssd320", "ssd640", "hparams_search",
                 "python -m sweep -m hparams_search=focal_depth"):
        assert text in result.stdout, text


def test_help_lists_every_model():
    result = run_sweep("--help", cwd=REPO, timeout=60)
    assert result.returncode == 0
    listed = result.stdout.split("model: ", 1)[1].split("\n", 1)[0]
    models = sorted(p.stem for p in (REPO / "conf" / "model").glob("*.yaml"))
    assert len(models) == 31
    assert sorted(listed.split(", ")) == models


def test_dry_run_renders_logbook_run_3(tmp_path):
    from google.protobuf import text_format
    from object_detection.protos import pipeline_pb2

    result = run_sweep("experiment=logbook/run_3", "dry_run=true", f"paths.outputs={tmp_path}",
                       cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    paths = dict(line.split(": ", 1) for line in result.stdout.splitlines()
                 if line.startswith(("pipeline.config: ", "label_map.pbtxt: ")))
    pipeline = text_format.Parse(open(paths["pipeline.config"]).read(),
                                 pipeline_pb2.TrainEvalPipelineConfig())
    focal = pipeline.model.ssd.loss.classification_loss.weighted_sigmoid_focal
    assert pipeline.model.ssd.num_classes == 42
    assert pipeline.train_config.batch_size == 12
    assert (round(focal.gamma, 4), round(focal.alpha, 4)) == (2.25, 0.5)
    assert pipeline.train_config.num_steps == 15000
    assert pipeline.train_input_reader.label_map_path == paths["label_map.pbtxt"]
    assert not list(tmp_path.rglob("ckpt-*")), "dry_run must not train"


def test_missing_fine_tune_checkpoint_is_one_line(tmp_path):
    result = run_sweep("train.fine_tune_checkpoint=/no/such/ckpt-0", f"paths.outputs={tmp_path}",
                       "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
                       cwd=REPO, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: train.fine_tune_checkpoint='/no/such/ckpt-0' does not exist: allowed a "
        "checkpoint prefix such as .../checkpoint/ckpt-0 (with its .index file)")


def test_changed_config_never_resumes_old_checkpoints(tmp_path):
    run_dir = tmp_path / "run"
    common = (f"paths.outputs={tmp_path}", f"hydra.run.dir={run_dir}",
              "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4")
    first = run_sweep(*common, "dry_run=true", cwd=REPO, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    (run_dir / "ckpt-5.index").write_bytes(b"")  # as if a run had trained here
    again = run_sweep(*common, "dry_run=true", cwd=REPO, timeout=300)
    assert again.returncode == 0, "the same config may resume"
    changed = run_sweep(*common, "dry_run=true", "loss.gamma=3.0", cwd=REPO, timeout=300)
    assert changed.returncode == 2
    assert "holds checkpoints of a different pipeline.config" in changed.stderr


@pytest.mark.parametrize("mode", [(), ("-m",), ("-m", "hparams_search=focal_depth")])
def test_an_outputs_folder_that_cannot_be_written_is_one_line(tmp_path, mode):
    """A run, a grid and a study: Hydra would create the folder and fail on its own."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_sweep(*mode, "dry_run=true", f"paths.outputs={blocker / 'outputs'}",
                       cwd=REPO, timeout=120)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write the outputs folder {blocker / 'outputs'}/")
    assert "set paths.outputs to a folder you can write" in last
    assert blocker.read_text() == "not a folder"


def test_a_dry_run_that_generates_the_dataset_prints_no_tensorflow_chatter(tmp_path):
    """TF >= 2.16 logs INFO lines (oneDNN, no CUDA driver) through absl at import, whatever
    TF_CPP_MIN_LOG_LEVEL says; writing the shapes' TFRecords must not show them."""
    result = run_sweep("dry_run=true", f"paths.outputs={tmp_path}",
                       f"paths.data_dir={tmp_path / 'data'}",
                       "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
                       cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert list((tmp_path / "data").rglob("*.tfrecord*")), "the dry run generated the data"
    assert result.stderr.strip() == ""
