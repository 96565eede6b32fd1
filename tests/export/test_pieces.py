"""The TF-free parts of the export: scoring, the staged folder, the table, --formats."""

from __future__ import annotations

import numpy as np
import pytest

from tfod_sweep.errors import SweepError
from tfod_sweep.export.formats import parse_formats
from tfod_sweep.export.record import ExportRecord, FormatResult, table
from tfod_sweep.export.scoring import ImageDetections, all_detections, score
from tfod_sweep.export.staging import staged
from tfod_sweep.measure.ground_truth import GroundTruthImage
from tfod_sweep.measure.stopwatch import Stopwatch

MAP50 = "DetectionBoxes_Precision/mAP@.50IOU"


def _image(image_id: int) -> GroundTruthImage:
    return GroundTruthImage(image_id=image_id, height=100, width=200,
                            boxes=np.array([[0.1, 0.1, 0.5, 0.4], [0.5, 0.5, 0.9, 0.9]]),
                            category_ids=np.array([1, 3]))


def test_detections_equal_to_the_truth_score_one_and_shifted_ones_less():
    images = [_image(1), _image(2)]
    perfect = [ImageDetections(boxes=i.boxes, category_ids=i.category_ids,
                               scores=np.array([0.9, 0.8])) for i in images]
    results = all_detections(images, perfect)
    assert results[0] == {"image_id": 1, "category_id": 1, "bbox": [20.0, 10.0, 60.0, 40.0],
                          "score": 0.9}
    assert score(images, results)[MAP50] == pytest.approx(1.0)
    wrong_class = [ImageDetections(boxes=i.boxes, category_ids=np.array([2, 3]),
                                   scores=np.array([0.9, 0.8])) for i in images]
    assert score(images, all_detections(images, wrong_class))[MAP50] == pytest.approx(0.5)
    assert score(images, [])[MAP50] == 0.0


def test_staged_folder_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "export"
    with pytest.raises(RuntimeError), staged(out, overwrite=False) as work:
        (work / "half.tflite").write_bytes(b"x")
        raise RuntimeError("converter crashed")
    assert list(tmp_path.iterdir()) == []
    with staged(out, overwrite=False) as work:
        (work / "export.json").write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["export"]
    with pytest.raises(SweepError, match="--overwrite"), staged(out, overwrite=False):
        pass
    with staged(out, overwrite=True) as work:
        (work / "new.json").write_text("{}")
    assert [p.name for p in out.iterdir()] == ["new.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_formats_keep_table_order_and_refuse_unknown_names():
    assert parse_formats("tflite_int8, saved_model,tflite_int8") == ["saved_model",
                                                                     "tflite_int8"]
    with pytest.raises(SweepError, match="unknown format 'tflite'"):
        parse_formats("tflite")
    with pytest.raises(SweepError, match="empty"):
        parse_formats(" , ")


def test_table_has_the_run_eval_and_one_line_per_format():
    record = ExportRecord(
        source={}, trial=None, run_eval={MAP50: 0.61, "DetectionBoxes_Precision/mAP": 0.4},
        settings={"cpu": "AMD EPYC (2 cores)", "threads": 1, "eval_images": 200,
                  "warmup": 5, "tflite_nms": "regular", "max_detections": 100},
        formats=[FormatResult("saved_model", "ok", path="saved_model", size_bytes=16_140_000,
                              metrics={MAP50: 0.612, "DetectionBoxes_Precision/mAP": 0.41},
                              latency={"median_ms": 52.93, "p90_ms": 59.3}),
                 FormatResult("tflite_fp32", "unsupported",
                              reason="ValueError: Only fixed_shape_resizer | x")])
    text = table(record)
    assert "| run eval (metrics.json) | – | 0.610 | 0.400 |" in text
    assert "| saved_model | ok | 0.612 | 0.410 | 52.9 | 59.3 | 16.14 MB | saved_model |" in text
    assert "| tflite_fp32 | unsupported: ValueError: Only fixed_shape_resizer / x |" in text
    assert "200 val images, batch 1, 1 thread(s)" in text and "AMD EPYC" in text


def test_stopwatch_reports_median_and_p90_after_warm_up():
    calls = []
    watch = Stopwatch(warmup=3)
    watch.warm_up(lambda: calls.append("warm"))
    for _ in range(10):
        watch.time(lambda: calls.append("timed"))
    summary = watch.summary()
    assert calls.count("warm") == 3 and summary.calls == 10 and summary.warmup == 3
    assert 0 <= summary.median_ms <= summary.p90_ms


def test_a_trial_with_seeds_exports_its_best_seed(tmp_path):
    import json

    from tests.export.test_bad_input import fake_run
    from tfod_sweep.export.locate import find_run

    for seed, value in ((0, 0.3), (1, 0.5), (2, 0.4)):
        run = fake_run(tmp_path / "trial_4" / f"seed_{seed}")
        (run / "metrics.json").write_text(json.dumps({
            "name": "ssd320", "arch": "ssd", "num_classes": 2, "batch_size": 4,
            "resolution": [128, 128], "optimized_metric": MAP50, "final": {MAP50: value}}))
    found = find_run(tmp_path / "trial_4")
    assert found.run_dir.name == "seed_1" and found.step == 3
    assert found.chosen_because == "seed_1: the best of 3 seeds by its own final metric (0.5000)"
    assert find_run(tmp_path / "trial_4", maximize=False).run_dir.name == "seed_0"
