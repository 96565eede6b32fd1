"""resolve_dataset for both kinds of dataset, the inspect CLI, and the TF-free import."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from tfod_sweep.data import (
    SyntheticParams,
    ensure_synthetic,
    inspect_tfrecords,
    read_label_map,
    resolve_dataset,
    synthetic_class_names,
    write_label_map,
)
from tfod_sweep.errors import DataError


def _synthetic_cfg(data_dir: str, **synthetic: int):
    """A node shaped like conf/dataset/shapes*.yaml after composition."""
    params = dataclasses.asdict(SyntheticParams()) | synthetic
    return OmegaConf.create(
        {"name": f"shapes{params['num_classes']}", "num_classes": params["num_classes"],
         "train": None, "val": None, "label_map": None, "val_coco_gt": None,
         "data_dir": data_dir, "synthetic": params}
    )  # fmt: skip


def test_import_stays_tensorflow_free():
    code = (
        "import sys, tfod_sweep.data, object_detection.protos.string_int_label_map_pb2\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ | {
        "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip


def test_label_map_round_trip_and_gaps(tmp_path):
    write_label_map(tmp_path / "lm.pbtxt", ["a", "b"])
    assert read_label_map(tmp_path / "lm.pbtxt") == {1: "a", 2: "b"}
    (tmp_path / "gap.pbtxt").write_text("item { id: 1 name: 'a' }\nitem { id: 3 name: 'c' }\n")
    record = tmp_path / "x.tfrecord"
    record.write_bytes(b"")
    cfg = {"name": "custom", "num_classes": 2, "train": str(record), "val": str(record),
           "label_map": str(tmp_path / "gap.pbtxt")}  # fmt: skip
    with pytest.raises(DataError, match=r"gap\.pbtxt: label map ids must be 1\.\.2 without gaps"):
        resolve_dataset(cfg)
    (tmp_path / "dup.pbtxt").write_text("item { id: 1 name: 'a' }\nitem { id: 1 name: 'b' }\n")
    with pytest.raises(DataError, match=r"dup\.pbtxt: label map id 1 appears twice"):
        read_label_map(tmp_path / "dup.pbtxt")
    (tmp_path / "bad.pbtxt").write_text("item { id: 1 nam: 'a' }\n")
    with pytest.raises(DataError, match=r"bad\.pbtxt: not a valid label map"):
        read_label_map(tmp_path / "bad.pbtxt")


def test_resolve_synthetic_then_same_files_as_custom(tmp_path):
    cfg = _synthetic_cfg(str(tmp_path), num_classes=21, train_images=4, val_images=3)
    resolved = resolve_dataset(cfg)
    assert resolved.num_classes == 21 and resolved.class_names == synthetic_class_names(21)
    assert resolved.train.endswith("train-?????-of-00002.tfrecord")
    assert resolved.val_coco_gt and os.path.isfile(resolved.val_coco_gt)
    custom = OmegaConf.create(
        {"name": "custom", "num_classes": 21, "train": resolved.train, "val": resolved.val,
         "label_map": resolved.label_map, "val_coco_gt": None, "data_dir": str(tmp_path),
         "synthetic": None}
    )  # fmt: skip
    assert resolve_dataset(custom) == dataclasses.replace(resolved, val_coco_gt=None)


def test_inspect_cli_on_embedded_42_class_val_split(tmp_path, run_cli):
    # Val images depend only on (seed, index), so this is the default val split.
    ds = ensure_synthetic(SyntheticParams(num_classes=42, train_images=2), str(tmp_path))
    done = run_cli("inspect", ds.val, "--label-map", ds.label_map)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "images               200" in out
    assert "classes              42 in data, 42 in label map" in out
    for class_id, name in enumerate(synthetic_class_names(42), start=1):
        assert re.search(rf"^\s+{class_id}\s+{name}\s+[1-9]\d*$", out, re.MULTILINE), name
    buckets = re.search(r"small (\d+)  medium (\d+)  large (\d+)", out)
    assert buckets and all(int(n) > 0 for n in buckets.groups()), out
    assert "classes missing from label map: none" in out and "problems             none" in out


def test_cli_help_lists_subcommands(run_cli):
    done = run_cli("--help")
    assert done.returncode == 0
    assert all(word in done.stdout for word in ("convert", "inspect", "generate"))


@pytest.mark.slow
def test_default_shapes42_through_resolve(tmp_path):
    resolved = resolve_dataset(_synthetic_cfg(str(tmp_path), num_classes=42))
    train = inspect_tfrecords(resolved.train, resolved.label_map)
    val = inspect_tfrecords(resolved.val, resolved.label_map)
    train.raise_for_problems()
    val.raise_for_problems()
    assert (train.num_images, val.num_images, len(val.class_counts)) == (1000, 200, 42)
    assert all(val.size_buckets.values())
