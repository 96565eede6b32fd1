"""`python -m sweep.export` on a real trained run: four formats, each run and scored.

The tiny run (12 steps) scores near zero, so "mAP within 0.01" alone would pass for
nearly any model; the detections themselves are compared too. The SavedModel must
return exactly the detections the run's own eval wrote to detections.json (same graph,
same NMS). fp32 TFLite (regular NMS, as the eval) must return the SavedModel's scores,
and for every detection whose score is not tied in its image, the same class and box once
clipped to the image: TFLite_Detection_PostProcess does not clip boxes to the image as
the OD API's postprocess does. After 12 steps every score is still the prior of the
class bias (sigmoid(-4.6) = 0.0101), so which of the tied boxes survive NMS is each NMS
implementation's choice and the box check has nothing to compare; on the demo model
(1500 steps) 100% of the top-100 detections per image agreed after clipping, and mAP
was 0.417 unclipped against the SavedModel's 0.419.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.export.conftest import MAP50, Exported, export

MAP = "DetectionBoxes_Precision/mAP"
FORMATS = ("saved_model", "tflite_fp32", "tflite_fp16", "tflite_int8")

pytestmark = pytest.mark.slow


def _by_image(detections: list[dict[str, Any]], top: int) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for detection in detections:
        grouped[detection["image_id"]].append(detection)
    return {image: sorted(found, key=lambda d: -d["score"])[:top]
            for image, found in grouped.items()}


def _matches(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], score_tol: float,
             box_tol: float) -> int:
    """How many of `ours` have a detection in `theirs` of the same class, score and box."""
    matched = 0
    for mine in ours:
        if any(mine["category_id"] == other["category_id"]
               and abs(mine["score"] - other["score"]) <= score_tol
               and max(abs(a - b) for a, b in zip(mine["bbox"], other["bbox"], strict=True))
               <= box_tol for other in theirs):
            matched += 1
    return matched


def _share_matched(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], top: int,
                   score_tol: float, box_tol: float) -> float:
    """Share of each image's `top` best detections in `ours` found in `theirs`."""
    mine, other = _by_image(ours, top), _by_image(theirs, 3 * top)
    total = sum(len(found) for found in mine.values())
    hits = sum(_matches(found, other.get(image, []), score_tol, box_tol)
               for image, found in mine.items())
    return hits / total


def test_exports_all_four_formats_and_links_the_trial(exported: Exported):
    assert exported.result.returncode == 0, exported.result.stderr[-3000:]
    record = exported.record
    assert [f["format"] for f in record["formats"]] == list(FORMATS)
    for name in FORMATS:
        result = exported.format(name)
        assert result["status"] == "ok", result
        artifact = exported.out / result["path"]
        assert artifact.exists() and result["size_bytes"] > 0
        assert 0 < result["latency"]["median_ms"] <= result["latency"]["p90_ms"]
        assert result["latency"]["calls"] == record["settings"]["eval_images"] == 24
        assert set(result["metrics"]) >= {MAP50, MAP}
    sizes = {name: exported.format(name)["size_bytes"] for name in FORMATS[1:]}
    assert sizes["tflite_int8"] < sizes["tflite_fp16"] < sizes["tflite_fp32"]
    assert record["settings"]["threads"] == 1
    assert record["trial"]["study"] == "tiny" and record["trial"]["number"] == 0
    assert record["trial"]["params"] == {"loss.gamma": 2.25}
    assert record["trial"]["storage"].endswith("journal.log")
    assert record["source"]["run_dir"] == str(exported.run_dir.resolve())
    assert record["source"]["checkpoint"].endswith("ckpt-12")
    # The folder is the OD API's exported-model layout plus ours, and nothing half-done.
    assert {p.name for p in exported.out.iterdir()} >= {
        "saved_model", "checkpoint", "pipeline.config", "label_map.pbtxt", "tflite_graph",
        "model_fp32.tflite", "model_fp16.tflite", "model_int8.tflite", "detections",
        "export.json"}
    assert not [p for p in exported.out.parent.iterdir() if ".partial" in p.name]
    table = exported.result.stdout.split("| format |", 1)[1]
    for name in FORMATS:
        assert f"| {name} | ok |" in table


def test_saved_model_scores_what_the_run_scored(exported: Exported):
    final = json.loads((exported.run_dir / "metrics.json").read_text())["final"]
    result = exported.format("saved_model")
    assert result["metrics"][MAP] == pytest.approx(final[MAP], abs=0.01)
    assert result["metrics"][MAP50] == pytest.approx(final[MAP50], abs=0.01)
    ours = json.loads((exported.out / "detections" / "saved_model.json").read_text())
    theirs = json.loads((exported.run_dir / "detections.json").read_text())
    assert len(ours) == len(theirs)
    assert _share_matched(ours, theirs, top=20, score_tol=1e-4, box_tol=0.05) >= 0.99


def _image_sizes(run_dir: Path) -> dict[Any, tuple[float, float]]:
    """Image id -> (width, height), from the dataset's val_coco_gt.json."""
    config = (run_dir / "pipeline.config").read_text()
    val = re.findall(r'input_path: "([^"]*val-[^"]*)"', config)[0]
    gt = json.loads((Path(val).parent / "val_coco_gt.json").read_text())
    return {image["id"]: (image["width"], image["height"]) for image in gt["images"]}


def _clipped(box: list[float], size: tuple[float, float]) -> list[float]:
    x, y, w, h = box
    x0, y0 = min(max(x, 0.0), size[0]), min(max(y, 0.0), size[1])
    x1, y1 = min(max(x + w, 0.0), size[0]), min(max(y + h, 0.0), size[1])
    return [x0, y0, x1 - x0, y1 - y0]


def test_tflite_fp32_scores_what_the_saved_model_scores(exported: Exported):
    final = json.loads((exported.run_dir / "metrics.json").read_text())["final"]
    result = exported.format("tflite_fp32")
    assert result["metrics"][MAP] == pytest.approx(final[MAP], abs=0.02)
    assert result["metrics"][MAP50] == pytest.approx(final[MAP50], abs=0.02)
    ours = _by_image(json.loads((exported.out / "detections" / "tflite_fp32.json")
                                .read_text()), top=100)
    theirs = _by_image(json.loads((exported.out / "detections" / "saved_model.json")
                                  .read_text()), top=100)
    assert ours.keys() == theirs.keys()
    sizes = _image_sizes(exported.run_dir)
    for image, found in ours.items():
        assert [d["score"] for d in found] == pytest.approx(
            [d["score"] for d in theirs[image]], abs=1e-4)
        scores = [round(d["score"], 4) for d in theirs[image]]
        untied = [d for d in theirs[image] if scores.count(round(d["score"], 4)) == 1]
        clipped = [{**d, "bbox": _clipped(d["bbox"], sizes[image])} for d in found]
        assert _matches(untied, clipped, score_tol=1e-3, box_tol=0.05) == len(untied)


def test_int8_is_reported_whatever_it_scores(exported: Exported):
    result = exported.format("tflite_int8")
    assert 0.0 <= result["metrics"][MAP50] <= 1.0
    assert "| tflite_int8 | ok |" in exported.result.stdout


def _copy_run(run_dir: Path, to: Path) -> Path:
    """The files an export reads: pipeline.config, the latest checkpoint, metrics.json."""
    to.mkdir()
    for name in ("pipeline.config", "checkpoint", "label_map.pbtxt", "metrics.json"):
        shutil.copy2(run_dir / name, to / name)
    for file in run_dir.glob("ckpt-12.*"):
        shutil.copy2(file, to / file.name)
    return to


def test_corrupt_checkpoint_is_one_error_and_writes_nothing(trained_run, tmp_path):
    run = _copy_run(trained_run, tmp_path / "run")
    (data,) = run.glob("ckpt-12.data-*")
    blob = bytearray(data.read_bytes())
    middle = len(blob) // 2
    blob[middle:middle + 64] = bytes(64)  # a damaged sector, the size unchanged
    data.write_bytes(bytes(blob))
    result = export(run, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: corrupt checkpoint "), lines
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_architecture_without_tflite_path_is_a_row_not_a_crash(trained_run, tmp_path):
    """The OD API's TFLite export takes only fixed_shape_resizer (CenterNet's zoo config
    keeps the aspect ratio): that format is one 'unsupported' row, exit code 0."""
    run = _copy_run(trained_run, tmp_path / "run")
    config = (run / "pipeline.config").read_text()
    fixed = "fixed_shape_resizer {\n        height: 128\n        width: 128\n      }"
    assert fixed in config
    (run / "pipeline.config").write_text(config.replace(
        fixed, "keep_aspect_ratio_resizer {\n        min_dimension: 128\n"
               "        max_dimension: 128\n      }"))
    result = export(run, "--formats", "tflite_fp32", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "out" / "export.json").read_text())
    (row,) = record["formats"]
    assert row["status"] == "unsupported" and "fixed_shape_resizer" in row["reason"]
    assert "| tflite_fp32 | unsupported: ValueError: Only fixed_shape_resizer" in result.stdout
