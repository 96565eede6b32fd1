"""Read the OD API tutorials' box CSV: ``filename,width,height,class,xmin,ymin,xmax,ymax``.

One row per box in absolute pixels, as the tutorials' ``xml_to_csv.py`` and Roboflow's
"TensorFlow Object Detection CSV" export write it (header first, any column order,
extra columns ignored). Rows of one image are gathered in first-seen order. A row whose
class and coordinates are all empty marks an image without objects.
"""

from __future__ import annotations

import csv
import math
import os
from typing import Any

from tfod_sweep.data.locate import ImageFinder, portable
from tfod_sweep.data.sources import SourceBox, SourceImage
from tfod_sweep.errors import DataError

COLUMNS = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")
_COORDS = ("xmin", "ymin", "xmax", "ymax")


def read_csv_boxes(
    csv_path: str, images_dir: str | None = None
) -> tuple[list[SourceImage], list[str]]:
    """Parse the CSV; returns its images and the sorted class names.

    ``images_dir`` defaults to the CSV's folder (Roboflow's layout). Problems of one
    row (a malformed value, a missing image) stay with its image, for ``--on-error``.
    """
    images_dir = images_dir or os.path.dirname(os.path.abspath(csv_path))
    finder = ImageFinder()
    images: dict[str, SourceImage] = {}
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            columns = _header(reader, csv_path)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                where = f"{csv_path}: line {reader.line_num}"
                _add_row(row, columns, where, images_dir, finder, images)
    except OSError as exc:
        raise DataError(f"{csv_path}: cannot read CSV ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{csv_path}: not a readable CSV file ({exc})") from None
    if not images:
        raise DataError(f"{csv_path}: has no rows below its header")
    names = sorted({box.name for image in images.values() for box in image.boxes})
    return list(images.values()), names


def _header(reader: Any, path: str) -> dict[str, int]:
    """Column name -> index from a ``csv.reader``; every column of ``COLUMNS`` must be there."""
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        columns = {cell.strip().lower(): index for index, cell in enumerate(row)}
        missing = [name for name in COLUMNS if name not in columns]
        if missing:
            raise DataError(
                f"{path}: line {reader.line_num}: header must name the columns "
                f"{','.join(COLUMNS)} (missing {missing[0]!r})"
            )
        return columns
    raise DataError(f"{path}: is empty (expected the header {','.join(COLUMNS)})")


def _add_row(
    row: list[str], columns: dict[str, int], where: str, images_dir: str,
    finder: ImageFinder, images: dict[str, SourceImage],
) -> None:  # fmt: skip
    cells = {name: row[index].strip() if index < len(row) else None
             for name, index in columns.items()}  # fmt: skip
    written = cells["filename"]
    if not written:
        raise DataError(f"{where}: malformed row: no filename ({len(row)} columns)")
    key = portable(written)
    image = images.get(key)
    if image is None:
        image = _new_image(written, where, images_dir, finder)
        images[key] = image
    problem = _check_row(cells, written, where, image)
    if problem is None:
        box = _box(cells, where)
        if isinstance(box, str):
            problem = box
        elif box is not None:
            image.boxes.append(box)
    if problem is not None:
        image.problem = image.problem or problem


def _new_image(written: str, where: str, images_dir: str, finder: ImageFinder) -> SourceImage:
    key = portable(written)
    path = finder.find(images_dir, written)
    image = SourceImage(
        image_path=path or os.path.join(images_dir, key),
        file_name=key,
        where=f"{where} ({key})",
    )
    if path is None:
        image.problem = f"{where}: image {written} does not exist in {images_dir}"
    return image


def _check_row(
    cells: dict[str, str | None], written: str, where: str, image: SourceImage
) -> str | None:
    """The row's size problem: malformed, or disagreeing with the image's first row."""
    if any(cells[name] is None for name in COLUMNS):
        return f"{where}: malformed row: fewer columns than the header"
    width, height = _size(cells["width"]), _size(cells["height"])
    if width is None or height is None:
        return (f"{where}: malformed row: width {cells['width']!r} and height "
                f"{cells['height']!r} must be positive integers")  # fmt: skip
    if image.width is None:
        image.width, image.height = width, height
    elif (image.width, image.height) != (width, height):
        return (f"{where}: {written} is {width}x{height} here but {image.width}x"
                f"{image.height} on its first row")  # fmt: skip
    return None


def _size(text: str | None) -> int | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) and value >= 1 else None


def _box(cells: dict[str, str | None], where: str) -> SourceBox | str | None:
    """The row's box, None for an image-without-objects row, or why it is malformed."""
    name = cells["class"] or ""
    texts = [cells[key] or "" for key in _COORDS]
    if not name and not any(texts):
        return None
    if not name:
        return f"{where}: malformed row: empty class"
    try:
        xmin, ymin, xmax, ymax = values = [float(text) for text in texts]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) for v in values):
        shown = ",".join(texts)
        return f"{where}: malformed row: xmin,ymin,xmax,ymax {shown!r} must be numbers"
    return SourceBox(xmin, ymin, xmax, ymax, name, where=where)
