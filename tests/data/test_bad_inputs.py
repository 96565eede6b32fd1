"""Each kind of bad input ends in one clear line naming the file (and record index)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tfod_sweep.data import cli as data_cli
from tfod_sweep.data import (
    convert_dataset,
    inspect_tfrecords,
    read_label_map,
    resolve_dataset,
    write_label_map,
)
from tfod_sweep.data.records import ImageRecord, ObjectAnnotation
from tfod_sweep.data.synthetic import encode_jpeg
from tfod_sweep.data.tfrecord_io import write_shards
from tfod_sweep.errors import DataError

NAMES = ["cat", "dog", "bird"]
JPEG = encode_jpeg(np.full((48, 64, 3), 128, dtype=np.uint8))


def _record(index: int, encoded: bytes = JPEG, **box: float) -> ImageRecord:
    """A 64x48 image with one box; ``box`` overrides its coordinates or label."""
    values = {"xmin": 4.0, "ymin": 4.0, "xmax": 30.0, "ymax": 40.0, "label": 2} | box
    label = int(values["label"])
    text = NAMES[label - 1] if 1 <= label <= len(NAMES) else f"class{label}"
    obj = ObjectAnnotation(text=text, **values)  # type: ignore[arg-type]
    return ImageRecord(index + 1, f"{index}.jpg", encoded, "jpeg", 64, 48, [obj])


def _tfrecord(tmp: Path, *records: ImageRecord) -> str:
    write_shards(list(records), str(tmp), "val", 1)
    return str(tmp / "val-00000-of-00001.tfrecord")


def _flip_byte_in_record(path: str, index: int) -> None:
    """Damage the payload of record ``index`` (TFRecord: u64 length, u32 crc, data, u32 crc)."""
    blob = bytearray(Path(path).read_bytes())
    offset = 0
    for _ in range(index):
        (length,) = struct.unpack("<Q", blob[offset : offset + 8])
        offset += 16 + length
    blob[offset + 12 + 5] ^= 0xFF
    Path(path).write_bytes(bytes(blob))


def _inspect(tmp: Path, path: str) -> None:
    label_map = str(tmp / "label_map.pbtxt")
    write_label_map(label_map, NAMES)
    inspect_tfrecords(path, label_map).raise_for_problems()


def corrupt_record(tmp: Path) -> None:
    path = _tfrecord(tmp, _record(0), _record(1), _record(2))
    _flip_byte_in_record(path, 1)
    _inspect(tmp, path)


def truncated_record(tmp: Path) -> None:
    path = _tfrecord(tmp, _record(0), _record(1), _record(2))
    Path(path).write_bytes(Path(path).read_bytes()[:-10])
    _inspect(tmp, path)


def undecodable_image(tmp: Path) -> None:
    _inspect(tmp, _tfrecord(tmp, _record(0), _record(1, encoded=JPEG[: len(JPEG) // 2])))


def box_outside_image(tmp: Path) -> None:
    _inspect(tmp, _tfrecord(tmp, _record(0, xmax=90.0)))


def xmin_not_below_xmax(tmp: Path) -> None:
    _inspect(tmp, _tfrecord(tmp, _record(0), _record(1, xmin=30.0, xmax=30.0)))


def class_missing_from_label_map(tmp: Path) -> None:
    _inspect(tmp, _tfrecord(tmp, _record(0, label=9)))


def empty_label_map(tmp: Path) -> None:
    (tmp / "label_map.pbtxt").write_text("# no items yet\n")
    read_label_map(tmp / "label_map.pbtxt")


def num_classes_disagrees(tmp: Path) -> None:
    record = _tfrecord(tmp, _record(0))
    write_label_map(tmp / "label_map.pbtxt", [f"c{i}" for i in range(21)])
    resolve_dataset({"name": "custom", "num_classes": 42, "train": record, "val": record,
                     "label_map": str(tmp / "label_map.pbtxt"), "synthetic": None})  # fmt: skip


def missing_dataset_file(tmp: Path) -> None:
    write_label_map(tmp / "lm.pbtxt", NAMES)
    missing = str(tmp / "nope" / "train.tfrecord")
    resolve_dataset({"name": "custom", "num_classes": 3, "train": missing, "val": missing,
                     "label_map": str(tmp / "lm.pbtxt")})  # fmt: skip


def glob_matches_nothing(tmp: Path) -> None:
    inspect_tfrecords(str(tmp / "train-?????-of-00010.tfrecord"))


def _coco(tmp: Path, box: list[float], category: str = "dog") -> str:
    (tmp / "img.jpg").write_bytes(JPEG)
    ann = {"id": 1, "image_id": 5, "category_id": 2, "bbox": box, "iscrowd": 0}
    data = {"images": [{"id": 5, "file_name": "img.jpg", "width": 64, "height": 48}],
            "annotations": [ann], "categories": [{"id": 2, "name": category}]}  # fmt: skip
    (tmp / "ann.json").write_text(json.dumps(data))
    return str(tmp / "ann.json")


def convert_box_outside_image(tmp: Path) -> None:
    ann = _coco(tmp, [40, 10, 30, 10])
    convert_dataset("coco", ann, str(tmp / "out"), val=ann)


def convert_degenerate_box(tmp: Path) -> None:
    ann = _coco(tmp, [40, 10, 0, 10])
    convert_dataset("coco", ann, str(tmp / "out"), val=ann)


def convert_class_missing_from_label_map(tmp: Path) -> None:
    ann = _coco(tmp, [4, 4, 10, 10], category="zebra")
    write_label_map(tmp / "lm.pbtxt", NAMES)
    convert_dataset("coco", ann, str(tmp / "out"), val=ann, label_map=str(tmp / "lm.pbtxt"))


def convert_undecodable_image(tmp: Path) -> None:
    ann = _coco(tmp, [4, 4, 10, 10])
    (tmp / "img.jpg").write_bytes(JPEG[:100])
    convert_dataset("coco", ann, str(tmp / "out"), val=ann)


def _yolo(tmp: Path, label: str, names: str = "[cat, dog, bird]", train: str = "images/train",
          val: str = "images/train") -> str:
    """A one-image Ultralytics layout whose label file holds ``label``."""
    (tmp / "images" / "train").mkdir(parents=True)
    (tmp / "images" / "train" / "img.jpg").write_bytes(JPEG)
    (tmp / "labels" / "train").mkdir(parents=True)
    (tmp / "labels" / "train" / "img.txt").write_text(label)
    (tmp / "data.yaml").write_text(f"path: .\ntrain: {train}\nval: {val}\nnames: {names}\n")
    return str(tmp / "data.yaml")


def yolo_class_out_of_range(tmp: Path) -> None:
    convert_dataset("yolo", _yolo(tmp, "0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n"), str(tmp / "o"))


def yolo_box_outside_0_1(tmp: Path) -> None:
    convert_dataset("yolo", _yolo(tmp, "1 0.5 0.5 0.2 1.5\n"), str(tmp / "o"))


def yolo_malformed_line(tmp: Path) -> None:
    convert_dataset("yolo", _yolo(tmp, "1 0.5 0.5 0.2\n"), str(tmp / "o"))


def yolo_names_with_a_gap(tmp: Path) -> None:
    convert_dataset("yolo", _yolo(tmp, "", names="{0: cat, 2: bird}"), str(tmp / "o"))


def yolo_listed_image_missing(tmp: Path) -> None:
    yaml_path = _yolo(tmp, "", train="list.txt")
    (tmp / "list.txt").write_text("images/train/img.jpg\nimages\\train\\gone.jpg\n")
    convert_dataset("yolo", yaml_path, str(tmp / "o"))


def yolo_labels_folder_missing(tmp: Path) -> None:
    yaml_path = _yolo(tmp, "0 0.5 0.5 0.2 0.2\n")
    (tmp / "labels").rename(tmp / "annotations")
    convert_dataset("yolo", yaml_path, str(tmp / "o"))


def yolo_split_folder_missing(tmp: Path) -> None:
    convert_dataset("yolo", _yolo(tmp, "", val="images/val"), str(tmp / "o"))


def _csv(tmp: Path, *rows: str) -> str:
    (tmp / "img.jpg").write_bytes(JPEG)
    (tmp / "ann.csv").write_text("filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                 + "".join(row + "\n" for row in rows))  # fmt: skip
    return str(tmp / "ann.csv")


def csv_missing_image(tmp: Path) -> None:
    ann = _csv(tmp, "img.jpg,64,48,cat,1,2,30,40", "gone.jpg,64,48,dog,1,2,30,40")
    convert_dataset("csv", ann, str(tmp / "o"), val=ann)


def csv_malformed_row(tmp: Path) -> None:
    ann = _csv(tmp, "img.jpg,64,48,cat,1,2,30,40", "img.jpg,64,48,dog,1,two,30,40")
    convert_dataset("csv", ann, str(tmp / "o"), val=ann)


def csv_box_outside_image(tmp: Path) -> None:
    ann = _csv(tmp, "img.jpg,64,48,cat,1,2,30,40", "img.jpg,64,48,dog,40,10,70,20")
    convert_dataset("csv", ann, str(tmp / "o"), val=ann)


def csv_size_disagrees_with_image(tmp: Path) -> None:
    ann = _csv(tmp, "img.jpg,640,480,cat,1,2,30,40")
    convert_dataset("csv", ann, str(tmp / "o"), val=ann)


def csv_header_missing_a_column(tmp: Path) -> None:
    (tmp / "ann.csv").write_text("filename,width,height,label,xmin,ymin,xmax,ymax\n")
    convert_dataset("csv", str(tmp / "ann.csv"), str(tmp / "o"))


SHARD = "val-00000-of-00001.tfrecord"
#: (trigger, file the message must start with, text it must contain; {tmp} = tmp_path)
CASES: list[tuple[Callable[[Path], None], str, str]] = [
    (corrupt_record, SHARD, ": record 1: corrupt or truncated TFRecord (corrupted record "
     "at byte "),
    (truncated_record, SHARD, ": record 2: corrupt or truncated TFRecord (truncated record "
     "at byte "),
    (undecodable_image, SHARD, ": record 1: image does not decode"),
    (box_outside_image, SHARD, ": record 0: box 0 is outside the image (xmin=0.0625 "
     "ymin=0.08333 xmax=1.406 ymax=0.8333; normalized, must be in 0..1)"),
    (xmin_not_below_xmax, SHARD, ": record 1: box 0 is degenerate (xmin=0.4688 ymin=0.08333 "
     "xmax=0.4688 ymax=0.8333; need min < max)"),
    (class_missing_from_label_map, SHARD,
     ": record 0: box 0 has class id 9, which is not in {tmp}/label_map.pbtxt"),
    (empty_label_map, "label_map.pbtxt", ": label map is empty"),
    (num_classes_disagrees, "",
     "dataset.num_classes=42 but label map {tmp}/label_map.pbtxt has 21 classes"),
    (missing_dataset_file, "nope/train.tfrecord", ": dataset.train TFRecord file does not exist"),
    (glob_matches_nothing, "train-?????-of-00010.tfrecord", ": TFRecord glob matches no files"),
    (convert_box_outside_image, "ann.json",
     ": image 0 (img.jpg): box 0 [40, 10, 70, 20] is outside the 64x48 image"),
    (convert_degenerate_box, "ann.json",
     ": image 0 (img.jpg): box 0 [40, 10, 40, 20] is degenerate (need min < max)"),
    (convert_class_missing_from_label_map, "ann.json",
     ": image 0 (img.jpg): box 0: class 'zebra' is not in the label map"),
    (convert_undecodable_image, "img.jpg", ": image does not decode"),
    (yolo_class_out_of_range, "labels/train/img.txt",
     ": line 2: class 3 is out of range: {tmp}/data.yaml names 3 classes (0..2)"),
    (yolo_box_outside_0_1, "labels/train/img.txt",
     ": line 1: box 0.5 0.5 0.2 1.5 is outside 0..1 (YOLO coordinates are fractions of the "
     "image)"),
    (yolo_malformed_line, "labels/train/img.txt",
     ": line 1: malformed line '1 0.5 0.5 0.2': expected 'class cx cy w h' (5 numbers), got 4"),
    (yolo_names_with_a_gap, "data.yaml", ": 'names' keys must be 0..1 without gaps, got [0, 2]"),
    (yolo_listed_image_missing, "list.txt",
     ": line 2: image {tmp}/images/train/gone.jpg does not exist"),
    (yolo_labels_folder_missing, "data.yaml",
     ": train: no label file for any of its 1 images (looked for {tmp}/labels/train/img.txt, "
     "as Ultralytics does)"),
    (yolo_split_folder_missing, "data.yaml",
     ": val: images/val does not exist (looked for {tmp}/images/val)"),
    (csv_missing_image, "ann.csv", ": line 3: image gone.jpg does not exist in {tmp}"),
    (csv_malformed_row, "ann.csv",
     ": line 3: malformed row: xmin,ymin,xmax,ymax '1,two,30,40' must be numbers"),
    (csv_box_outside_image, "ann.csv", ": line 3: box [40, 10, 70, 20] is outside the 64x48 image"),
    (csv_size_disagrees_with_image, "ann.csv",
     ": line 2 (img.jpg): annotation says 640x480 but {tmp}/img.jpg is 64x48"),
    (csv_header_missing_a_column, "ann.csv",
     ": line 1: header must name the columns filename,width,height,class,xmin,ymin,xmax,ymax "
     "(missing 'class')"),
]  # fmt: skip


@pytest.mark.parametrize(("trigger", "file", "text"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_gives_one_line_naming_the_file(trigger, file, text, tmp_path):
    with pytest.raises(DataError) as info:
        trigger(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    prefix = str(tmp_path / file) if file else ""
    assert message.startswith(prefix + text.format(tmp=tmp_path)), message


def test_inspect_cli_exits_2_with_one_error_line(tmp_path, run_cli):
    path = _tfrecord(tmp_path, _record(0), _record(1, xmin=30.0, xmax=10.0), _record(2, label=7))
    write_label_map(tmp_path / "lm.pbtxt", NAMES)
    done = run_cli("inspect", path, "--label-map", str(tmp_path / "lm.pbtxt"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # the error alone: no TensorFlow chatter
    (last,) = lines
    assert last == (f"error: {path}: record 1: box 0 is degenerate (xmin=0.4688 ymin=0.08333 "
                    "xmax=0.1562 ymax=0.8333; need min < max) (and 1 more problem)")  # fmt: skip
    assert "degenerate boxes     1" in done.stdout
    assert "classes missing from label map: [7]" in done.stdout


def test_cli_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nothing.json"
    args = ["convert", "coco", "--train", str(missing), "--out", str(tmp_path / "o")]
    assert data_cli.main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(missing) in lines[0]


def test_cli_usage_error_exits_2_like_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        data_cli.main(["convert", "kitti", "--train", "x", "--out", "y"])
    assert info.value.code == 2
    assert "invalid choice: 'kitti'" in capsys.readouterr().err


def test_cli_crash_that_is_our_bug_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("a bug, not bad input")

    monkeypatch.setattr(data_cli, "_generate", broken)
    with pytest.raises(ZeroDivisionError):
        data_cli.main(["generate", "--data-dir", str(tmp_path)])


def test_a_data_dir_that_cannot_be_written_is_one_line(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code = data_cli.main(["generate", "--num-classes", "21", "--data-dir",
                          str(blocker / "data")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and str(blocker) in err[0]
