"""Read an Ultralytics / Roboflow YOLO dataset (``data.yaml`` + one ``.txt`` per image).

The layout follows what those tools write and Ultralytics reads: ``names`` is a list or
a ``{index: name}`` dict; ``train``/``val`` are image folders (or ``.txt`` lists of
images, or lists of either) relative to ``path:`` or to the YAML's folder; each image's
labels are in the parallel ``labels/`` folder, one ``class cx cy w h`` line per box,
normalised to 0..1. An image without a label file has no objects.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from tfod_sweep.data.locate import ImageFinder, is_windows_absolute, portable
from tfod_sweep.data.sources import SourceBox, SourceImage
from tfod_sweep.errors import DataError

#: The image suffixes Ultralytics lists (compared lower-case, so ``.JPG`` counts).
IMAGE_SUFFIXES = frozenset(
    {".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png", ".tif", ".tiff", ".webp", ".pfm", ".heic"}
)
_BOX_FIELDS = 5  # class cx cy w h


@dataclass
class YoloDataset:
    """The splits a data.yaml names (``val`` None when it names none) and its class names."""

    names: list[str]
    train: list[SourceImage]
    val: list[SourceImage] | None


def read_yolo(yaml_path: str) -> YoloDataset:
    """Parse ``data.yaml`` and every label file of its train and val splits."""
    spec = _load_yaml(yaml_path)
    names = class_names(spec, yaml_path)
    roots = _roots(spec, yaml_path)
    finder = ImageFinder()
    if not spec.get("train"):
        raise DataError(f"{yaml_path}: has no 'train' (the folder of training images)")
    train = _read_split(spec["train"], "train", roots, yaml_path, names, finder)
    val = _read_split(spec["val"], "val", roots, yaml_path, names, finder) if spec.get(
        "val") else None  # fmt: skip
    return YoloDataset(names, train, val)


def _load_yaml(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8-sig") as handle:
            spec = yaml.safe_load(handle)
    except OSError as exc:
        raise DataError(f"{path}: cannot read YOLO data.yaml ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise DataError(f"{path}: not valid YAML ({where}{problem})") from None
    if not isinstance(spec, dict) or "names" not in spec:
        raise DataError(f"{path}: not a YOLO data.yaml (no 'names')")
    return spec


def class_names(spec: dict[str, Any], path: str) -> list[str]:
    """``names`` as a list by class index: a list as is, a dict's keys must be 0..N-1."""
    raw = spec["names"]
    if isinstance(raw, dict):
        try:
            by_index = {int(key): value for key, value in raw.items()}
        except (TypeError, ValueError):
            raise DataError(f"{path}: 'names' keys must be class indexes 0, 1, ...") from None
        if sorted(by_index) != list(range(len(by_index))):
            raise DataError(
                f"{path}: 'names' keys must be 0..{len(by_index) - 1} without gaps, "
                f"got {sorted(by_index)[:8]}"
            )
        raw = [by_index[i] for i in range(len(by_index))]
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{path}: 'names' must be a non-empty list or {{index: name}} dict")
    names = [str(name).strip() if name is not None else "" for name in raw]
    for index, name in enumerate(names):
        if not name:
            raise DataError(f"{path}: class {index} has an empty name")
        if names.index(name) != index:
            raise DataError(f"{path}: class name {name!r} appears twice")
    declared = spec.get("nc")
    if declared is not None and declared != len(names):
        raise DataError(f"{path}: nc={declared} but 'names' has {len(names)} classes")
    return names


def _roots(spec: dict[str, Any], yaml_path: str) -> list[str]:
    """Folders split paths are relative to: ``path:`` first, then the YAML's own folder.

    The YAML's folder is tried too because ``path:`` often names where the dataset was
    made (a Colab or Windows folder), not where it has been copied to.
    """
    here = os.path.dirname(os.path.abspath(yaml_path))
    declared = spec.get("path")
    if not declared:
        return [here]
    root = portable(str(declared))
    if is_windows_absolute(root):
        return [here]
    root = os.path.normpath(os.path.join(here, os.path.expanduser(root)))
    return [root, here] if root != here else [here]


def _read_split(
    value: Any, split: str, roots: list[str], yaml_path: str, names: list[str],
    finder: ImageFinder,
) -> list[SourceImage]:  # fmt: skip
    entries = value if isinstance(value, list) else [value]
    images: list[SourceImage] = []
    for entry in entries:
        source = _locate_entry(str(entry), split, roots, yaml_path)
        if os.path.isdir(source):
            paths = [(path, None) for path in _image_files(source)]
        else:
            paths = _listed_images(source, finder)
        if not paths:
            raise DataError(f"{yaml_path}: {split}: {source} holds no images")
        for image_path, where in paths:
            images.append(_read_image(image_path, where, names, yaml_path))
    if not any(os.path.isfile(image.where) for image in images):
        # Some images may lack labels; none having any is a layout the reader does not see.
        raise DataError(f"{yaml_path}: {split}: no label file for any of its {len(images)} "
                        f"images (looked for {images[0].where}, as Ultralytics does)")
    return images


def _locate_entry(entry: str, split: str, roots: list[str], yaml_path: str) -> str:
    """An existing folder or list file for one ``train``/``val`` entry.

    Roboflow writes ``../train/images`` for a data.yaml that sits beside ``train/``;
    like Ultralytics, the path without its leading ``../`` is tried too. An absolute
    path from the machine the dataset was made on (``C:\\...``, ``/content/...``) is
    tried as written, then by its last folders (at least two) below the roots.
    """
    written = portable(entry)
    tails = [written]
    if written.startswith("../"):
        tails.append(written[3:])
    if is_windows_absolute(written) or written.startswith("/"):
        parts = [part for part in written.split("/")[1:] if part]
        shortest = min(2, len(parts))
        tails = [written] if written.startswith("/") else []
        tails += ["/".join(parts[i:]) for i in range(len(parts) - shortest + 1)]
    tried = []
    for root in roots:
        for tail in tails:
            path = os.path.normpath(os.path.join(root, os.path.expanduser(tail)))
            if os.path.exists(path):
                return path
            tried.append(path)
    looked = f" (looked for {tried[0]})" if tried else ""
    raise DataError(f"{yaml_path}: {split}: {entry} does not exist{looked}")


def _image_files(folder: str) -> list[str]:
    """Every image below ``folder`` (recursively, as Ultralytics does), sorted by path."""
    found = []
    for parent, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                found.append(os.path.join(parent, name))
    return sorted(found)


def _listed_images(list_file: str, finder: ImageFinder) -> list[tuple[str, str | None]]:
    """Images of a ``.txt`` list, relative to its folder; a missing one keeps its line."""
    base = os.path.dirname(list_file)
    try:
        with open(list_file, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{list_file}: cannot read the image list ({exc})") from None
    found: list[tuple[str, str | None]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        path = finder.find(base, line)
        where = f"{list_file}: line {number}"
        found.append((path, None) if path else (os.path.join(base, portable(line)), where))
    return found


def label_path(image_path: str) -> str:
    """The label file of an image: the last ``images`` folder becomes ``labels``, ``.txt``."""
    head, sep, tail = image_path.rpartition(f"{os.sep}images{os.sep}")
    moved = f"{head}{os.sep}labels{os.sep}{tail}" if sep else image_path
    return os.path.splitext(moved)[0] + ".txt"


def _read_image(
    image_path: str, missing_at: str | None, names: list[str], yaml_path: str
) -> SourceImage:
    labels = label_path(image_path)
    image = SourceImage(
        image_path=image_path,
        file_name=os.path.basename(image_path),
        where=labels,
        normalized=True,
    )
    if missing_at is not None:
        image.problem = f"{missing_at}: image {image_path} does not exist"
        return image
    if not os.path.isfile(labels):
        return image  # no label file: an image without objects
    try:
        with open(labels, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        image.problem = f"{labels}: cannot read labels ({exc})"
        return image
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        box = parse_label_line(line, names, yaml_path)
        if isinstance(box, str):
            image.problem = image.problem or f"{labels}: line {number}: {box}"
        else:
            image.boxes.append(_with_where(box, f"{labels}: line {number}"))
    return image


def _with_where(box: SourceBox, where: str) -> SourceBox:
    return SourceBox(box.xmin, box.ymin, box.xmax, box.ymax, box.name, box.is_crowd, where)


def parse_label_line(line: str, names: list[str], yaml_path: str) -> SourceBox | str:
    """One ``class cx cy w h`` line (or a ``class x1 y1 x2 y2 ...`` polygon) as a box
    in fractions of the image, or why it cannot be used.

    Values must lie in 0..1, as Ultralytics requires; a box's corners past an edge
    (centre near it) are clipped to it.
    """
    fields = line.split()
    polygon = len(fields) > _BOX_FIELDS and len(fields) % 2 == 1
    if len(fields) != _BOX_FIELDS and not polygon:
        return (f"malformed line {line.strip()!r}: expected 'class cx cy w h' "
                f"({_BOX_FIELDS} numbers), got {len(fields)}")  # fmt: skip
    try:
        number, *values = (float(field) for field in fields)
    except ValueError:
        return f"malformed line {line.strip()!r}: not all numbers"
    if not (math.isfinite(number) and number == int(number) and 0 <= number < len(names)):
        return (f"class {fields[0]} is out of range: {yaml_path} names {len(names)} "
                f"classes (0..{len(names) - 1})")  # fmt: skip
    if not all(0.0 <= v <= 1.0 for v in values):
        shown = " ".join(f"{v:g}" for v in values)
        return f"box {shown} is outside 0..1 (YOLO coordinates are fractions of the image)"
    if polygon:
        xs, ys = values[0::2], values[1::2]
        corners = (min(xs), min(ys), max(xs), max(ys))
    else:
        cx, cy, w, h = values
        corners = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    xmin, ymin, xmax, ymax = (min(1.0, max(0.0, c)) for c in corners)
    if xmin >= xmax or ymin >= ymax:
        shown = " ".join(f"{v:g}" for v in values)
        return f"box {shown} has zero width or height"
    return SourceBox(xmin, ymin, xmax, ymax, names[int(number)])
