"""`python -m sweep ...` trains the real SSD model at a tiny size, as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, run_sweep
from tests.test_coco_metrics import _pycocotools_reference
from tests.training.conftest import TINY, run_dir_of
from tfod_sweep.data.label_map import read_label_map
from tfod_sweep.metric_names import COCO_METRICS, LOSS_COMPONENTS

pytestmark = pytest.mark.slow

def test_tiny_run_writes_all_metrics_and_losses(tiny_run):
    run_dir, stdout = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for name in (*COCO_METRICS, *LOSS_COMPONENTS["ssd"]):
        assert isinstance(metrics["final"][name], float), name
    assert metrics["steps"] == 12 and metrics["num_classes"] == 21
    assert [e["step"] for e in metrics["evaluations"]] == [6, 12]
    assert metrics["train_seconds"] > 0 and metrics["images_per_second"] > 0
    for name in ("pipeline.config", "label_map.pbtxt", "detections.json", "checkpoint"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "train").glob("events.out.tfevents.*"))
    assert list((run_dir / "eval").glob("events.out.tfevents.*"))
    assert "| mAP | mAP @.50IOU |" in stdout


def test_tiny_run_splits_its_time_into_phases(tiny_run):
    """phase_seconds accounts for the loop: the calls after the first, two evals, three saves."""
    run_dir, _ = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    phases = metrics["phase_seconds"]
    expected = {"tf_import", "build", "first_step", "train_steps", "checkpoint",
                "eval_detect", "eval_score", "logging", "preview", "inference"}
    assert set(phases) == expected
    assert all(seconds > 0 for seconds in phases.values()), phases
    # images/s is read off the timed steps, so the two agree. The first call traces and is
    # timed apart; it ends at the first evaluation, step 6, as train.steps_per_call >= 6.
    assert metrics["images_per_second"] == pytest.approx(4 * 6 / phases["train_steps"],
                                                         rel=1e-2)
    loop_phases = sum(phases[p] for p in expected - {"tf_import", "build", "preview",
                                                     "inference"})
    assert loop_phases <= metrics["train_seconds"] + 0.01  # phases are rounded to 1 ms


def test_tiny_run_times_and_sizes_its_trained_model(tiny_run):
    """eval.latency_images (20 by default) val images at batch 1, parameters and FLOPs."""
    run_dir, stdout = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    cost = metrics["inference"]
    assert cost["Latency/images"] == 20 and cost["Latency/batch_size"] == 1
    assert cost["Latency/warmup"] == 5 and cost["Latency/threads"] >= 1
    assert 0 < cost["Latency/median_ms"] <= cost["Latency/p90_ms"] < 5000
    # SSD MobileNet v2 FPNLite with 21 classes: a few million weights; at 128x128 a few
    # hundred million FLOPs, far more than two per weight (convolutions reuse them).
    assert 1e6 < cost["Model/parameters"] < 1e7
    assert cost["Model/flops_note"] is None
    assert 2 * cost["Model/parameters"] < cost["Model/flops"] < 1e10
    assert metrics["objectives"] is None  # one optimized metric
    assert f"{cost['Model/parameters']:,} parameters; " in stdout
    assert f"latency {cost['Latency/median_ms']:.1f} ms median" in stdout


def test_tiny_run_records_its_memory(tiny_run):
    """The process's resident size at the end and its peak: TF plus a model is 100s of MiB."""
    run_dir, _ = tiny_run
    memory = json.loads((run_dir / "metrics.json").read_text())["memory"]
    assert 200 < memory["rss_mb"] <= memory["peak_rss_mb"] < 16 * 1024


def test_tiny_run_draws_the_first_val_images_with_their_detections(tiny_run):
    from PIL import Image

    run_dir, _ = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    tile = 2 * metrics["config"]["dataset"]["synthetic"]["image_size"]  # enlarged 2x
    with Image.open(run_dir / "preview.png") as preview:
        assert preview.format == "PNG"
        # The first 12 val images, 4 to a row, 4 px apart.
        assert preview.size == (4 * tile + 3 * 4, 3 * tile + 2 * 4)


def test_reported_map_equals_plain_pycocotools(tiny_run):
    """Plain pycocotools on detections.json and the generator's own COCO ground truth
    gives the run's 12 metrics (scored with faster-coco-eval) to 1e-6."""
    run_dir, _ = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())["final"]
    detections = json.loads((run_dir / "detections.json").read_text())
    (gt_path,) = run_dir.parents[1].glob("data/*/val_coco_gt.json")
    gt = json.loads(gt_path.read_text())
    evaluated = {d["image_id"] for d in detections}
    assert evaluated <= {image["id"] for image in gt["images"]}
    # Score the images the run evaluated, as its own evaluation did.
    gt["images"] = [image for image in gt["images"] if image["id"] in evaluated]
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in evaluated]
    plain, _ = _pycocotools_reference(gt, detections)
    for name, value in zip(COCO_METRICS, plain, strict=True):
        assert value == pytest.approx(metrics[name], abs=1e-6), name


def test_per_class_ap_names_the_classes_and_averages_to_the_map(tiny_run):
    run_dir, _ = tiny_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    per_class = metrics["per_class"]
    class_names = set(read_label_map(run_dir / "label_map.pbtxt").values())
    assert per_class and set(per_class) <= class_names
    mean_50 = sum(ap["AP@.50IOU"] for ap in per_class.values()) / len(per_class)
    assert mean_50 == pytest.approx(metrics["final"]["DetectionBoxes_Precision/mAP@.50IOU"],
                                    abs=1e-6)


@pytest.mark.long
def test_exporter_exports_our_checkpoint(tiny_run, tmp_path):
    import numpy as np
    import tensorflow as tf
    from google.protobuf import text_format
    from object_detection import exporter_lib_v2
    from object_detection.protos import pipeline_pb2

    run_dir, _ = tiny_run
    pipeline = text_format.Parse((run_dir / "pipeline.config").read_text(),
                                 pipeline_pb2.TrainEvalPipelineConfig())
    exporter_lib_v2.export_inference_graph(
        input_type="image_tensor", pipeline_config=pipeline,
        trained_checkpoint_dir=str(run_dir), output_directory=str(tmp_path))
    detect = tf.saved_model.load(str(tmp_path / "saved_model"))
    image = np.random.default_rng(0).integers(0, 255, (1, 128, 128, 3), dtype=np.uint8)
    out = detect(tf.constant(image))
    assert out["detection_boxes"].shape == (1, 100, 4)
    assert out["detection_scores"].shape == (1, 100)


@pytest.mark.long
def test_divergent_learning_rate_stops_with_nan_error(tmp_path):
    result = run_sweep(*TINY, "train.learning_rate=1e12", "train.warmup_learning_rate=1e12",
                       f"paths.outputs={tmp_path}", cwd=REPO)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: loss diverged at step "), result.stderr[-2000:]
    assert "Loss/total_loss=" in last and ("nan" in last or "inf" in last)


@pytest.mark.long
def test_sigkill_then_same_command_resumes_from_checkpoint(tmp_path):
    args = [sys.executable, "-m", "sweep", *TINY, "train.num_steps=40",
            "train.checkpoint_every=5", "train.eval_every=40", f"paths.outputs={tmp_path}"]
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            index_files = list(tmp_path.glob("runs/*/ckpt-*.index"))
            if any(int(p.stem.split("-")[1]) >= 10 for p in index_files):
                break
            assert process.poll() is None, "training ended before it could be killed"
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    killed_at = max(int(p.stem.split("-")[1]) for p in tmp_path.glob("runs/*/ckpt-*.index"))
    assert 10 <= killed_at < 40
    again = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming from " in again.stdout
    resumed_at = int(again.stdout.split("resuming from ")[1].split("(step ")[1].split(")")[0])
    assert resumed_at >= killed_at - 5 and resumed_at >= 10
    run_dir = run_dir_of(tmp_path)
    assert json.loads((run_dir / "metrics.json").read_text())["steps"] == 40


@pytest.mark.long
def test_fine_tune_from_a_detection_checkpoint(tiny_run, tmp_path):
    """Start a new run from another run's checkpoint, the way a zoo checkpoint is used."""
    run_dir, _ = tiny_run
    checkpoint = max(run_dir.glob("ckpt-*.index"), key=lambda p: int(p.stem.split("-")[1]))
    prefix = str(checkpoint.with_suffix(""))
    result = run_sweep(*TINY, "train.num_steps=2", "train.eval_every=2",
                       f"train.fine_tune_checkpoint='{prefix}'",
                       "train.fine_tune_checkpoint_type=detection", f"paths.outputs={tmp_path}",
                       cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming from" not in result.stdout  # a fresh run, initialised from the checkpoint
    assert json.loads((run_dir_of(tmp_path) / "metrics.json").read_text())["steps"] == 2
