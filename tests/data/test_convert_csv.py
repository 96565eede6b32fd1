"""The OD API tutorials' box CSV -> TFRecords, read back with the OD API decoder.

Files are written as the tutorials' ``xml_to_csv.py`` (pandas, on Windows: CRLF) and
Roboflow's "TensorFlow Object Detection CSV" export write them, with the odd cases
users have: names whose case differs from the file on disk (``.JPG``), Windows paths,
an Excel byte-order mark, and an image without objects.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from tfod_sweep.data import convert_dataset, read_label_map, write_label_map

HEADER = ["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"]
# (file on disk, name the CSV writes, (width, height), Pillow format, boxes (x0, y0, x1, y1, class))
TRAIN = [
    ("raccoon-1.jpg", "raccoon-1.jpg", (64, 48), "JPEG",
     [(8, 4, 40, 36, "raccoon"), (40, 10, 60, 30, "squirrel")]),
    ("IMG_0002.JPG", "IMG_0002.jpg", (80, 60), "JPEG", [(0, 0, 80, 60, "raccoon")]),
    ("sub/c.png", "sub\\c.png", (50, 70), "PNG", [(10, 10, 20, 25, "squirrel")]),
    ("d.jpg", "C:\\Users\\me\\Tensorflow\\workspace\\images\\train\\d.jpg", (72, 72), "JPEG",
     [(1, 2, 71, 70, "raccoon")]),
]
VAL = [
    ("e.jpg", "e.jpg", (96, 64), "JPEG", [(12, 8, 60, 50, "squirrel")]),
    ("f.png", "f.png", (40, 40), "PNG", []),  # written as one row with empty class and box
]  # fmt: skip


def _csv_text(entries: list, line_end: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(HEADER)
    for _disk, written, (w, h), _fmt, boxes in entries:
        for x0, y0, x1, y1, cls in boxes:
            writer.writerow([written, w, h, cls, x0, y0, x1, y1])
        if not boxes:
            writer.writerow([written, w, h, "", "", "", "", ""])
    return buffer.getvalue()


@pytest.fixture()
def tutorial(tmp_path: Path, write_image) -> Path:
    """images/train + train_labels.csv and images/test + test_labels.csv, written on Windows."""
    for split, entries in (("train", TRAIN), ("test", VAL)):
        for disk, _written, size, fmt, _boxes in entries:
            write_image(tmp_path / "images" / split / disk, size, fmt)
        text = _csv_text(entries, "\r\n")
        (tmp_path / f"{split}_labels.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    return tmp_path


def _expected() -> dict[str, tuple[tuple[int, int], list]]:
    return {written.replace("\\", "/"): (size, boxes)
            for _d, written, size, _f, boxes in TRAIN + VAL}  # fmt: skip


def _assert_decoded(decoded: list[dict], class_ids: dict[str, int]) -> None:
    expected = _expected()
    for item in decoded:
        (w, h), boxes = expected[item["filename"]]
        assert item["image"].shape == (h, w, 3)
        want = np.array([[y0, x0, y1, x1] for x0, y0, x1, y1, _c in boxes]).reshape(-1, 4)
        np.testing.assert_allclose(item["boxes"] * [h, w, h, w], want, atol=1e-3)
        assert list(item["classes"]) == [class_ids[b[4]] for b in boxes]


def test_tutorial_csvs_round_trip(tutorial, od_decode):
    result = convert_dataset(
        "csv", str(tutorial / "train_labels.csv"), str(tutorial / "out"),
        train_images=str(tutorial / "images" / "train"),
        val=str(tutorial / "test_labels.csv"), val_images=str(tutorial / "images" / "test"),
    )  # fmt: skip
    assert (result.num_train, result.num_val, result.skipped) == (4, 2, [])
    assert result.class_names == ["raccoon", "squirrel"]  # sorted, as for VOC
    assert read_label_map(result.label_map) == {1: "raccoon", 2: "squirrel"}
    train, val = od_decode(result.train), od_decode(result.val)
    assert len(train) == 4 and len(val) == 2
    _assert_decoded(train + val, {"raccoon": 1, "squirrel": 2})
    assert {d["filename"]: len(d["boxes"]) for d in val} == {"e.jpg": 1, "f.png": 0}


def test_roboflow_layout_val_fraction_and_a_given_label_map(tmp_path, write_image, od_decode):
    """Roboflow: ``_annotations.csv`` beside its images; the map's ids are kept."""
    folder = tmp_path / "train"
    for disk, _written, size, fmt, _boxes in TRAIN + VAL:
        write_image(folder / disk, size, fmt)
    (folder / "_annotations.csv").write_text(_csv_text(TRAIN + VAL, "\n"))
    write_label_map(tmp_path / "label_map.pbtxt", ["squirrel", "owl", "raccoon"])
    result = convert_dataset("csv", str(folder / "_annotations.csv"), str(tmp_path / "out"),
                             val_fraction=0.34, label_map=str(tmp_path / "label_map.pbtxt"))
    assert (result.num_train, result.num_val) == (4, 2)
    assert result.class_names == ["squirrel", "owl", "raccoon"]
    decoded = od_decode(result.train) + od_decode(result.val)
    assert sorted(d["filename"] for d in decoded) == sorted(_expected())
    _assert_decoded(decoded, {"squirrel": 1, "owl": 2, "raccoon": 3})


def test_skip_names_the_line_and_keeps_the_rest(tutorial, od_decode):
    csv_path = tutorial / "train_labels.csv"
    text = csv_path.read_text(encoding="utf-8-sig")
    csv_path.write_text(text.replace("raccoon-1.jpg,64,48,squirrel,40,10,60,30",
                                     "raccoon-1.jpg,64,48,squirrel,40,10,66,30"))  # fmt: skip
    (tutorial / "images" / "train" / "d.jpg").unlink()
    result = convert_dataset(
        "csv", str(csv_path), str(tutorial / "out"), train_images=str(tutorial / "images/train"),
        val_fraction=0.5, on_error="skip",
    )  # fmt: skip
    assert sorted(result.skipped) == [
        f"{csv_path}: line 3: box [40, 10, 66, 30] is outside the 64x48 image",
        f"{csv_path}: line 6: image C:\\Users\\me\\Tensorflow\\workspace\\images\\train\\d.jpg "
        f"does not exist in {tutorial / 'images' / 'train'}",
    ]
    assert result.num_train + result.num_val == 2


def test_cli_convert_csv(tutorial, run_cli):
    out = tutorial / "out"
    done = run_cli(
        "convert", "csv", "--train", str(tutorial / "train_labels.csv"),
        "--train-images", str(tutorial / "images" / "train"),
        "--val", str(tutorial / "test_labels.csv"),
        "--val-images", str(tutorial / "images" / "test"), "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "4 train + 2 val images, 2 classes" in done.stdout
    assert f"dataset.label_map='{out / 'label_map.pbtxt'}'" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "label_map.pbtxt", "train-00000-of-00001.tfrecord", "val-00000-of-00001.tfrecord",
        "val_coco_gt.json",
    ]  # fmt: skip
