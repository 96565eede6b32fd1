"""preview.png: val images with ground truth and confident detections (PIL only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tfod_sweep.preview import GROUND_TRUTH_COLOUR, PALETTE, PreviewImage, draw_preview

GREY = (128, 128, 128)


def _image(image_id: int) -> PreviewImage:
    return PreviewImage(image_id, Image.new("RGB", (64, 64), GREY), [(1, 4.0, 4.0, 20.0, 20.0)])


def test_draws_ground_truth_and_only_detections_above_the_score(tmp_path: Path) -> None:
    detections = [
        {"image_id": 1, "category_id": 3, "bbox": [30.0, 30.0, 20.0, 20.0], "score": 0.9},
        {"image_id": 1, "category_id": 5, "bbox": [10.0, 40.0, 10.0, 10.0], "score": 0.2},
        {"image_id": 2, "category_id": 3, "bbox": [30.0, 30.0, 20.0, 20.0], "score": 0.1},
    ]
    path = draw_preview([_image(1), _image(2)], detections, {3: "red_star"},
                        tmp_path / "preview.png", min_score=0.5, columns=2, scale=2)
    with Image.open(path) as sheet:
        sheet = sheet.convert("RGB")
        assert sheet.size == (2 * 128 + 4, 128)
        assert sheet.getpixel((8, 30)) == GROUND_TRUTH_COLOUR  # left edge of the gt box
        assert sheet.getpixel((60, 80)) == PALETTE[3]  # left edge of the confident box
        assert sheet.getpixel((20, 90)) == GREY  # the 0.2 detection is not drawn
        second = 128 + 4  # image 2: its only detection scores 0.1
        assert sheet.getpixel((second + 60, 80)) == GREY
        assert sheet.getpixel((second + 8, 30)) == GROUND_TRUTH_COLOUR


def test_the_label_names_the_class(tmp_path: Path) -> None:
    detection = {"image_id": 1, "category_id": 3, "bbox": [30.0, 30.0, 20.0, 20.0],
                 "score": 0.9}
    named = draw_preview([_image(1)], [detection], {3: "red_star"}, tmp_path / "a.png")
    other = draw_preview([_image(1)], [detection], {3: "blue_ring"}, tmp_path / "b.png")
    with Image.open(named) as a, Image.open(other) as b:
        assert a.tobytes() != b.tobytes()


def test_no_images_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no val images"):
        draw_preview([], [], {}, tmp_path / "x.png")


@pytest.mark.slow
def test_reads_the_first_val_records_with_their_ground_truth(tmp_path: Path) -> None:
    from tfod_sweep.config.schema import SyntheticParams
    from tfod_sweep.data.synthetic import ensure_synthetic
    from tfod_sweep.preview import read_preview_images

    params = SyntheticParams(num_classes=21, train_images=4, val_images=5, image_size=128)
    data = ensure_synthetic(params, str(tmp_path))
    images = read_preview_images(data.val, count=3)
    gt = json.loads(Path(data.val_coco_gt).read_text())
    first_ids = [image["id"] for image in gt["images"]][:3]
    assert [item.image_id for item in images] == first_ids
    for item in images:
        assert item.image.size == (128, 128)
        expected = sorted((a["category_id"], *a["bbox"]) for a in gt["annotations"]
                          if a["image_id"] == item.image_id)
        assert expected
        got = sorted(item.boxes)
        assert [box[0] for box in got] == [box[0] for box in expected]
        for box, want in zip(got, expected, strict=True):
            assert box[1:] == pytest.approx(want[1:], abs=1e-3)
