"""`dataset=custom` takes its class count from the label map; a disagreeing one is one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from google.protobuf import text_format
from object_detection.protos import pipeline_pb2

from tests.conftest import REPO, run_sweep
from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError, DataError


def _paths(ds) -> list[str]:
    return [f"dataset.train={ds.train}", f"dataset.val={ds.val}",
            f"dataset.label_map={ds.label_map}"]  # fmt: skip


def test_validate_fills_num_classes_from_the_label_map(small_shapes, compose_cfg):
    cfg = compose_cfg("dataset=custom", *_paths(small_shapes))
    assert cfg.dataset.num_classes is None
    validate_config(cfg)
    assert cfg.dataset.num_classes == 21


def test_a_given_count_must_agree(small_shapes, compose_cfg):
    cfg = compose_cfg("dataset=custom", "dataset.num_classes=21", *_paths(small_shapes))
    validate_config(cfg)
    cfg = compose_cfg("dataset=custom", "dataset.num_classes=42", *_paths(small_shapes))
    with pytest.raises(DataError) as info:
        validate_config(cfg)
    assert str(info.value) == (f"dataset.num_classes=42 but label map {small_shapes.label_map} "
                               "has 21 classes")  # fmt: skip


def test_no_label_map_and_no_count_is_one_line(compose_cfg):
    with pytest.raises(ConfigError, match=r"^dataset\.label_map must be set for dataset "
                       r"'custom' \(e\.g\. dataset\.label_map=data/label_map\.pbtxt\): the "
                       r"class count is read from it$"):  # fmt: skip
        validate_config(compose_cfg("dataset=custom"))


def test_validation_reads_the_label_map_without_tensorflow(small_shapes):
    code = (
        "import sys\n"
        "from hydra import compose, initialize_config_dir\n"
        "from tfod_sweep.config import register_configs, validate_config\n"
        "register_configs()\n"
        f"with initialize_config_dir(config_dir={str(REPO / 'conf')!r}, version_base='1.3'):\n"
        f"    cfg = compose('config', overrides={['dataset=custom', *_paths(small_shapes)]!r})\n"
        "validate_config(cfg)\n"
        "assert cfg.dataset.num_classes == 21\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_dry_run_without_num_classes_renders_the_label_maps_count(small_shapes, tmp_path):
    done = run_sweep("dataset=custom", *_paths(small_shapes), "dry_run=true",
                     f"paths.outputs={tmp_path}", cwd=REPO, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = [line.split(": ", 1)[1] for line in done.stdout.splitlines()
               if line.startswith("pipeline.config: ")]  # fmt: skip
    with open(path) as handle:
        pipeline = text_format.Parse(handle.read(), pipeline_pb2.TrainEvalPipelineConfig())
    assert pipeline.model.ssd.num_classes == 21


def test_disagreeing_count_ends_the_run_with_one_line(small_shapes, tmp_path):
    done = run_sweep("dataset=custom", "dataset.num_classes=7", *_paths(small_shapes),
                     "dry_run=true", f"paths.outputs={tmp_path}", cwd=REPO, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: dataset.num_classes=7 but label map {small_shapes.label_map} has 21 classes"]
