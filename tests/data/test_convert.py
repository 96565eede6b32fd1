"""COCO JSON / Pascal VOC XML -> TFRecords, checked with the OD API decoder and pycocotools."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pycocotools.coco import COCO

from tfod_sweep.data import convert_dataset, inspect_tfrecords, read_label_map
from tfod_sweep.errors import DataError

# (file name, (width, height), Pillow format, mode, boxes as (x0, y0, x1, y1, class name))
IMAGES = [
    ("a.jpg", (64, 48), "JPEG", "RGB", [(3.5, 4.25, 30.0, 40.5, "cat"), (40, 2, 63.6, 20, "dog")]),
    ("b.png", (80, 60), "PNG", "RGBA", [(0, 0, 80, 60, "bird")]),
    ("c.png", (50, 70), "PNG", "L", [(10, 10, 20, 25.75, "dog"), (5, 30, 45, 69, "cat")]),
    ("d.bmp", (40, 40), "BMP", "RGB", [(1, 2, 39, 38, "bird")]),
    ("e.jpg", (96, 64), "JPEG", "RGB", [(12.2, 8.8, 60.1, 50.9, "cat")]),
    ("f.jpg", (72, 72), "JPEG", "RGB", [(0, 0, 10, 10, "dog"), (60, 60, 72, 72, "bird")]),
]
COCO_CATEGORY_IDS = {"cat": 3, "dog": 7, "bird": 10}  # gaps on purpose: output must be 1..3


def _write_image(path: Path, size: tuple[int, int], fmt: str, mode: str, boxes: list) -> None:
    rng = np.random.default_rng(len(path.name))
    pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1, _name in boxes:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(250, 20, 20))
    image.convert(mode).save(path, format=fmt)


def _write_coco(path: Path, entries: list, image_ids: list[int]) -> None:
    images, annotations = [], []
    for image_id, (name, (w, h), *_rest, boxes) in zip(image_ids, entries, strict=True):
        images.append({"id": image_id, "file_name": name, "width": w, "height": h})
        for x0, y0, x1, y1, cls in boxes:
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image_id,
                 "category_id": COCO_CATEGORY_IDS[cls], "bbox": [x0, y0, x1 - x0, y1 - y0],
                 "area": (x1 - x0) * (y1 - y0), "iscrowd": 0}
            )  # fmt: skip
    categories = [{"id": i, "name": n} for n, i in COCO_CATEGORY_IDS.items()]
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": categories}))  # fmt: skip


def _write_voc(path: Path, name: str, size: tuple[int, int], boxes: list) -> None:
    objects = "".join(
        f"<object><name>{c}</name><difficult>0</difficult><bndbox><xmin>{x0}</xmin>"
        f"<ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
        for x0, y0, x1, y1, c in boxes
    )
    path.write_text(
        f"<annotation><folder>imgs</folder><filename>{name}</filename><size><width>{size[0]}"
        f"</width><height>{size[1]}</height><depth>3</depth></size>{objects}</annotation>"
    )


@pytest.fixture()
def coco_dir(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    for name, size, fmt, mode, boxes in IMAGES:
        _write_image(tmp_path / "images" / name, size, fmt, mode, boxes)
    _write_coco(tmp_path / "train.json", IMAGES[:4], [101, 102, 103, 104])
    _write_coco(tmp_path / "val.json", IMAGES[4:], [201, 202])
    return tmp_path


@pytest.fixture()
def voc_dir(tmp_path: Path) -> Path:
    (tmp_path / "voc").mkdir()
    for name, size, fmt, mode, boxes in IMAGES:
        _write_image(tmp_path / "voc" / name, size, fmt, mode, boxes)
        _write_voc(tmp_path / "voc" / f"{Path(name).stem}.xml", name, size, boxes)
    return tmp_path


def _assert_round_trip(decoded: list[dict], names: list[str]) -> None:
    """Every decoded image has the source's pixels size, boxes (within 1 px) and classes."""
    source = {name: (size, boxes) for name, size, _f, _m, boxes in IMAGES}
    for item in decoded:
        (w, h), boxes = source[item["filename"]]
        assert item["image"].shape == (h, w, 3)
        expected = np.array([[y0, x0, y1, x1] for x0, y0, x1, y1, _c in boxes])
        np.testing.assert_allclose(item["boxes"] * [h, w, h, w], expected, atol=1.0)
        assert [names[c - 1] for c in item["classes"]] == [b[4] for b in boxes]


def test_coco_round_trip_through_od_api_decoder(coco_dir, od_decode):
    out = coco_dir / "out"
    result = convert_dataset(
        "coco", str(coco_dir / "train.json"), str(out),
        train_images=str(coco_dir / "images"),
        val=str(coco_dir / "val.json"), val_images=str(coco_dir / "images"),
        train_shards=2,
    )  # fmt: skip
    assert (result.num_train, result.num_val, result.skipped) == (4, 2, [])
    assert result.class_names == ["cat", "dog", "bird"]  # COCO id order, remapped to 1..3
    assert read_label_map(result.label_map) == {1: "cat", 2: "dog", 3: "bird"}
    train, val = od_decode(result.train), od_decode(result.val)
    assert sorted(os.listdir(out)) == [
        "label_map.pbtxt", "train-00000-of-00002.tfrecord", "train-00001-of-00002.tfrecord",
        "val-00000-of-00001.tfrecord", "val_coco_gt.json",
    ]  # fmt: skip
    assert len(train) == 4 and len(val) == 2
    _assert_round_trip(train + val, result.class_names)
    assert sorted(int(v["source_id"]) for v in val) == [201, 202]  # COCO ids kept

    coco = COCO(result.val_coco_gt)
    assert sorted(coco.getImgIds()) == [201, 202]
    for item in val:
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[int(item["source_id"])]))
        h, w = item["image"].shape[:2]
        for ann, box, cls in zip(anns, item["boxes"], item["classes"], strict=True):
            x, y, bw, bh = ann["bbox"]
            np.testing.assert_allclose([y, x, y + bh, x + bw], box * [h, w, h, w], atol=1e-3)
            assert ann["category_id"] == cls


def test_voc_round_trip_with_val_fraction(voc_dir, od_decode):
    result = convert_dataset("voc", str(voc_dir / "voc"), str(voc_dir / "out"), val_fraction=0.5)
    assert (result.num_train, result.num_val) == (3, 3)
    assert result.class_names == ["bird", "cat", "dog"]  # sorted names
    decoded = od_decode(result.train) + od_decode(result.val)
    assert sorted(d["filename"] for d in decoded) == sorted(i[0] for i in IMAGES)
    _assert_round_trip(decoded, result.class_names)
    again = convert_dataset("voc", str(voc_dir / "voc"), str(voc_dir / "out2"), val_fraction=0.5)
    for name in ("train-00000-of-00001.tfrecord", "val-00000-of-00001.tfrecord"):
        assert (voc_dir / "out" / name).read_bytes() == (voc_dir / "out2" / name).read_bytes()
    assert again.class_names == result.class_names


def test_skip_reports_bad_images_and_keeps_the_rest(coco_dir, od_decode):
    (coco_dir / "images" / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    data = json.loads((coco_dir / "train.json").read_text())
    data["annotations"][-1]["bbox"] = [5, 5, 0, 10]  # d.bmp: zero width
    (coco_dir / "train.json").write_text(json.dumps(data))
    result = convert_dataset(
        "coco", str(coco_dir / "train.json"), str(coco_dir / "out"),
        train_images=str(coco_dir / "images"),
        val=str(coco_dir / "val.json"), val_images=str(coco_dir / "images"), on_error="skip",
    )  # fmt: skip
    assert result.num_train == 2 and len(result.skipped) == 2
    assert "a.jpg: image does not decode" in result.skipped[0]
    assert "image 3 (d.bmp): box 0 [5, 5, 5, 15] is degenerate" in result.skipped[1]
    assert (coco_dir / "out" / "skipped.txt").read_text().splitlines() == result.skipped
    assert sorted(d["filename"] for d in od_decode(result.train)) == ["b.png", "c.png"]


def test_stop_leaves_no_output_behind(coco_dir):
    (coco_dir / "images" / "c.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"c\.png: image does not decode"):
        convert_dataset(
            "coco", str(coco_dir / "train.json"), str(coco_dir / "out"),
            train_images=str(coco_dir / "images"), val_fraction=0.25,
        )  # fmt: skip
    assert not (coco_dir / "out").exists()
    assert [p for p in os.listdir(coco_dir) if p.startswith(".out")] == []


def test_cli_convert(voc_dir, run_cli):
    out = voc_dir / "out"
    done = run_cli("convert", "voc", "--train", str(voc_dir / "voc"), "--out", str(out),
                   "--val-fraction", "0.34")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "4 train + 2 val images, 3 classes" in done.stdout
    assert f"  dataset=custom dataset.train='{out}/train-?????-of-00001.tfrecord' " in done.stdout
    report = inspect_tfrecords(str(out / "*.tfrecord"), str(out / "label_map.pbtxt"))
    assert (report.num_images, report.num_boxes, report.num_problems) == (6, 9, 0)
    again = run_cli("convert", "voc", "--train", str(voc_dir / "voc"), "--out", str(out))
    assert again.returncode == 2
    assert again.stderr.strip().splitlines()[-1].startswith(f"error: {out}: output already exists")
