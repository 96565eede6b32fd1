"""The per-class chart shared by the report and the dashboard artifacts."""

from pathlib import Path

import pytest
from PIL import Image

from tfod_sweep.review.plots import per_class_bar_chart


def test_per_class_chart_is_a_png_with_a_bar_per_scored_class(tmp_path: Path) -> None:
    per_class = {f"class_{i}": {"AP@.50IOU": i / 10, "AP": i / 20} for i in range(8)}
    per_class["unseen"] = {"AP@.50IOU": -1.0, "AP": -1.0}  # no ground truth: left out
    small = per_class_bar_chart({"a": {"AP@.50IOU": 0.5, "AP": 0.3}}, tmp_path / "one.png")
    path = per_class_bar_chart(per_class, tmp_path / "sub" / "chart.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    with Image.open(small) as image:
        assert image.size[1] < height  # grows with the number of classes
    assert width >= 400 and height >= 200
    assert path.stat().st_size > 5_000


def test_per_class_chart_refuses_an_empty_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no class"):
        per_class_bar_chart({"unseen": {"AP@.50IOU": -1.0}}, tmp_path / "x.png")
