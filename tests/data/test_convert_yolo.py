"""YOLO (Ultralytics / Roboflow) -> TFRecords, read back with the OD API decoder.

The datasets are laid out and written the way those tools write them: Roboflow's
``../train/images`` paths and CRLF labels, Ultralytics' ``path:`` and ``names`` dict,
upper-case ``.JPG``, images without a label file, image lists, Windows paths.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest

from tfod_sweep.data import convert_dataset, read_label_map, resolve_dataset, write_label_map
from tfod_sweep.errors import DataError

NAMES = ["cat", "dog", "bird"]
# split -> (path below the images folder, (width, height), Pillow format, pixel boxes
# (x0, y0, x1, y1, class index), how its label is written: "box", "polygon", "empty", None)
TRAIN = [
    ("a.jpg", (64, 48), "JPEG", [(8, 4, 40, 36, 0), (40, 10, 60, 30, 2)], "box"),
    ("B.JPG", (80, 60), "JPEG", [(0, 0, 80, 60, 1)], "box"),
    ("c.png", (50, 70), "PNG", [], None),  # no label file: no objects
    ("sub/d.jpg", (72, 72), "JPEG", [], "empty"),  # an empty label file, in a subfolder
]
VAL = [
    ("e.jpg", (96, 64), "JPEG", [(12, 8, 60, 50, 1)], "box"),
    ("f.PNG", (40, 40), "PNG", [(4, 6, 30, 36, 2)], "polygon"),
]


def _label_text(size: tuple[int, int], boxes: list, kind: str | None) -> str:
    """Label lines as Ultralytics/Roboflow write them: normalised, 6 decimals."""
    w, h = size
    lines = []
    for x0, y0, x1, y1, cls in boxes:
        if kind == "polygon":  # a segmentation label: the box's four corners
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            lines.append(f"{cls} " + " ".join(f"{x / w:.6f} {y / h:.6f}" for x, y in corners))
        else:
            cx, cy, bw, bh = (x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h
            lines.append(f"{cls} {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}")
    return "".join(line + "\r\n" for line in lines)  # Roboflow on Windows: CRLF


def _write_split(images: Path, labels: Path, entries: list, write_image) -> None:
    for name, size, fmt, boxes, kind in entries:
        write_image(images / name, size, fmt)
        if kind is not None:
            label = (labels / name).with_suffix(".txt")
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_bytes(_label_text(size, boxes, kind).encode())


@pytest.fixture()
def roboflow(tmp_path: Path, write_image) -> Path:
    """A Roboflow "YOLOv8" export: data.yaml beside train/ and valid/, names a list."""
    root = tmp_path / "export"
    _write_split(root / "train" / "images", root / "train" / "labels", TRAIN, write_image)
    _write_split(root / "valid" / "images", root / "valid" / "labels", VAL, write_image)
    (root / "data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\n"
        f"nc: 3\nnames: {NAMES}\n\nroboflow:\n  workspace: me\n  project: pets\n"
        "  version: 2\n  license: CC BY 4.0\n  url: https://example.invalid/pets/2\n"
    )
    return root / "data.yaml"


@pytest.fixture()
def ultralytics(tmp_path: Path, write_image) -> Path:
    """An Ultralytics layout (images/train, labels/train), names a dict, made on Windows."""
    root = tmp_path / "pets"
    _write_split(root / "images" / "train", root / "labels" / "train", TRAIN + VAL, write_image)
    (root / "data.yaml").write_text(
        "# made on Windows, then copied here\n"
        "path: C:\\Users\\me\\datasets\\pets\n"
        "train: images\\train\n"
        "names:\n  0: cat\n  1: dog\n  2: bird\n"
    )
    return root / "data.yaml"


def _expected() -> dict[str, tuple[tuple[int, int], list]]:
    return {Path(name).name: (size, boxes) for name, size, _f, boxes, _k in TRAIN + VAL}


def _assert_decoded(decoded: list[dict], names: list[str], class_ids: dict[str, int]) -> None:
    """Each record has its source's size, boxes (within 1 px) and classes, by label-map id."""
    expected = _expected()
    for item in decoded:
        (w, h), boxes = expected[item["filename"]]
        assert item["image"].shape == (h, w, 3)
        want = np.array([[y0, x0, y1, x1] for x0, y0, x1, y1, _c in boxes]).reshape(-1, 4)
        np.testing.assert_allclose(item["boxes"] * [h, w, h, w], want, atol=1.0)
        assert list(item["classes"]) == [class_ids[NAMES[b[4]]] for b in boxes]


def test_roboflow_export_round_trip(roboflow, od_decode):
    result = convert_dataset("yolo", str(roboflow), str(roboflow.parent.parent / "out"))
    assert (result.num_train, result.num_val, result.skipped) == (4, 2, [])
    assert result.class_names == NAMES
    assert read_label_map(result.label_map) == {1: "cat", 2: "dog", 3: "bird"}
    train, val = od_decode(result.train), od_decode(result.val)
    assert sorted(d["filename"] for d in train) == ["B.JPG", "a.jpg", "c.png", "d.jpg"]
    assert sorted(d["filename"] for d in val) == ["e.jpg", "f.PNG"]
    _assert_decoded(train + val, NAMES, {"cat": 1, "dog": 2, "bird": 3})
    assert {d["filename"]: len(d["boxes"]) for d in train}["c.png"] == 0


def test_ultralytics_dict_names_windows_paths_and_val_fraction(ultralytics, od_decode):
    result = convert_dataset("yolo", str(ultralytics), str(ultralytics.parent / "out"),
                             val_fraction=0.34)  # fmt: skip
    assert (result.num_train, result.num_val) == (4, 2)
    assert result.class_names == NAMES
    decoded = od_decode(result.train) + od_decode(result.val)
    assert sorted(d["filename"] for d in decoded) == sorted(_expected())
    _assert_decoded(decoded, NAMES, {"cat": 1, "dog": 2, "bird": 3})


def test_absolute_paths_from_the_machine_it_was_made_on(ultralytics, od_decode):
    """A data.yaml written on Colab, its dataset then copied here beside it."""
    ultralytics.write_text("path: /content/datasets/pets\ntrain: /content/datasets/pets/images/"
                           "train\nval: C:\\Users\\me\\pets\\images\\train\\sub\n"
                           "names: {0: cat, 1: dog, 2: bird}\n")  # fmt: skip
    result = convert_dataset("yolo", str(ultralytics), str(ultralytics.parent / "out"))
    assert (result.num_train, result.num_val) == (6, 1)
    assert [d["filename"] for d in od_decode(result.val)] == ["d.jpg"]


def test_image_lists_and_a_given_label_map_keep_its_ids(roboflow, od_decode):
    root = roboflow.parent
    (root / "train.txt").write_text("./train/images/a.jpg\r\ntrain\\images\\B.JPG\r\n")
    text = roboflow.read_text().replace("train: ../train/images", "train: [train.txt, "
                                        "../train/images/sub]")  # fmt: skip
    roboflow.write_text(text)
    label_map = root / "label_map.pbtxt"
    write_label_map(label_map, ["bird", "horse", "dog", "cat"])
    result = convert_dataset("yolo", str(roboflow), str(root / "out"), label_map=str(label_map))
    assert (result.num_train, result.num_val) == (3, 2)
    assert result.class_names == ["bird", "horse", "dog", "cat"]
    decoded = od_decode(result.train) + od_decode(result.val)
    assert sorted(d["filename"] for d in decoded) == ["B.JPG", "a.jpg", "d.jpg", "e.jpg", "f.PNG"]
    _assert_decoded(decoded, NAMES, {"bird": 1, "horse": 2, "dog": 3, "cat": 4})


def test_skip_lists_bad_label_files_and_keeps_the_rest(roboflow, od_decode):
    labels = roboflow.parent / "train" / "labels"
    (labels / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n")
    (labels / "B.txt").write_text("1 0.5 0.5 1.2 0.2\n")
    result = convert_dataset("yolo", str(roboflow), str(roboflow.parent / "out"),
                             on_error="skip")  # fmt: skip
    assert (result.num_train, result.num_val) == (2, 2)
    assert result.skipped == [  # in path order: B.JPG sorts before a.jpg
        f"{labels / 'B.txt'}: line 1: box 0.5 0.5 1.2 0.2 is outside 0..1 (YOLO coordinates "
        "are fractions of the image)",
        f"{labels / 'a.txt'}: line 2: class 7 is out of range: {roboflow} names 3 classes (0..2)",
    ]
    assert sorted(d["filename"] for d in od_decode(result.train)) == ["c.png", "d.jpg"]
    with pytest.raises(DataError, match=r"B\.txt: line 1: box 0\.5 0\.5 1\.2 0\.2 is outside"):
        convert_dataset("yolo", str(roboflow), str(roboflow.parent / "out2"))
    assert not (roboflow.parent / "out2").exists()


def test_cli_overrides_paste_into_a_run(roboflow, run_cli, compose_cfg):
    out = roboflow.parent / "my data"  # a space: the printed overrides must still paste
    done = run_cli("convert", "yolo", "--data", str(roboflow), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "4 train + 2 val images, 3 classes" in done.stdout
    line = done.stdout.split("use it with these overrides:\n", 1)[1].strip()
    overrides = shlex.split(line)  # what the shell hands `python -m sweep`
    assert overrides[0] == "dataset=custom"
    cfg = compose_cfg(*overrides)
    resolved = resolve_dataset(cfg.dataset)
    assert (resolved.num_classes, resolved.class_names) == (3, NAMES)
    assert resolved.train == str(out / "train-?????-of-00001.tfrecord")


def test_cli_yolo_needs_data_not_train(roboflow, run_cli):
    done = run_cli("convert", "yolo", "--train", str(roboflow), "--out", "x")
    assert done.returncode == 2
    assert "convert yolo: give --data data.yaml instead of --train" in done.stderr
