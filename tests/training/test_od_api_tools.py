"""The OD API's own model_main_tf2 and exporter_main_v2 work on a pipeline.config we render,
through `python -m sweep.model_main_tf2` / `sweep.exporter_main_v2` in this venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tfod_sweep.runner import render_run_files

pytestmark = pytest.mark.slow

TINY_DATA = ("dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
             "dataset.synthetic.image_size=128")


def _tool(module: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *flags], cwd=REPO,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipeline.config of ssd320 at 64x64, batch 1, on 8 embedded training images."""
    from hydra import compose, initialize_config_dir

    from tests.conftest import CONF_DIR
    from tfod_sweep.config import register_configs, validate_config

    out = tmp_path_factory.mktemp("od_api")
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"paths.outputs={out}", "model=ssd320",
                                           "resolution.height=64", "resolution.width=64",
                                           "train.batch_size=1",
                                           *TINY_DATA])
    validate_config(cfg)
    pipeline, _ = render_run_files(cfg, out / "run")
    return pipeline


@pytest.mark.long  # ~3 min: one 100-step iteration and an export
def test_model_main_tf2_trains_through_the_entry_point_and_exports(rendered, tmp_path):
    """model_lib_v2.train_loop steps in whole iterations of NUM_STEPS_PER_ITERATION (100)
    and model_main_tf2 has no flag for it: `--num_train_steps=2` trains one iteration."""
    import tensorflow as tf
    from object_detection import model_lib_v2

    model_dir = tmp_path / "od_api"
    result = _tool("sweep.model_main_tf2", f"--pipeline_config_path={rendered}",
                   f"--model_dir={model_dir}", "--num_train_steps=2", "--checkpoint_every_n=1")
    assert result.returncode == 0, result.stderr[-3000:]
    latest = tf.train.latest_checkpoint(str(model_dir))
    assert latest is not None
    steps = tf.train.load_variable(latest, "step/.ATTRIBUTES/VARIABLE_VALUE")
    assert steps == max(2, model_lib_v2.NUM_STEPS_PER_ITERATION)

    exported = tmp_path / "exported"
    result = _tool("sweep.exporter_main_v2", "--input_type=image_tensor",
                   f"--pipeline_config_path={rendered}", f"--trained_checkpoint_dir={model_dir}",
                   f"--output_directory={exported}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (exported / "saved_model" / "saved_model.pb").is_file()
    assert (exported / "pipeline.config").is_file()


def test_the_od_api_module_alone_cannot_decode_an_image_here(rendered, tmp_path):
    """Why the entry point exists: the same command without the fix fails on tf-slim.

    It runs after importing tfod_sweep, which the OD API needs on TensorFlow 2.16+ to be
    imported at all (tfod_sweep.compat), but which applies no tf-slim fix.
    """
    run_module = ("import runpy, tfod_sweep; "
                  "runpy.run_module('object_detection.model_main_tf2', run_name='__main__', "
                  "alter_sys=True)")
    result = subprocess.run(
        [sys.executable, "-c", run_module, f"--pipeline_config_path={rendered}",
         f"--model_dir={tmp_path / 'od_api'}", "--num_train_steps=2"],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode != 0
    assert "control_flow_ops' has no attribute 'case'" in result.stderr
