"""Read user annotations (COCO JSON, Pascal VOC XML) into one neutral form.

YOLO and CSV have their own readers (``yolo_source``, ``csv_source``) producing the same form.

Parsing only reads the annotation files; images are opened later by the
converter, so the label map can be built from every split before writing.
"""

from __future__ import annotations

import glob
import json
import os
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field

from tfod_sweep.errors import DataError


@dataclass(frozen=True)
class SourceBox:
    """A box as the annotation tool wrote it, with its class name.

    Absolute pixels, or fractions of the image's size when its ``SourceImage`` is
    ``normalized``. ``where`` ("file: line N") names the box's own line in errors, for
    formats with one line per box; empty means the image's ``where`` and the box's index.
    """

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    name: str
    is_crowd: bool = False
    where: str = ""


@dataclass
class SourceImage:
    """One annotated image before its pixels are read.

    ``where`` names the annotation file and index for error messages; ``problem``
    holds an annotation-level error found while parsing (e.g. unknown category).
    ``normalized`` boxes (YOLO) are scaled by the image's size once it is decoded.
    """

    image_path: str
    file_name: str
    where: str
    width: int | None = None
    height: int | None = None
    image_id: int | None = None
    boxes: list[SourceBox] = field(default_factory=list)
    problem: str | None = None
    normalized: bool = False


def _load_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise DataError(f"{path}: cannot read COCO annotations ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(data, dict)
               or not isinstance(data.get(k), list)]  # fmt: skip
    if missing:
        raise DataError(f"{path}: not a COCO detection file (no list {missing[0]!r})")
    return data


def read_coco(json_path: str, images_dir: str | None = None) -> tuple[list[SourceImage], list[str]]:
    """Parse a COCO detection JSON; returns its images and category names in id order.

    ``images_dir`` defaults to the JSON's folder (Roboflow's layout).
    """
    data = _load_json(json_path)
    images_dir = images_dir or os.path.dirname(os.path.abspath(json_path))
    categories: dict[int, str] = {}
    for index, cat in enumerate(data["categories"]):
        try:
            categories[int(cat["id"])] = str(cat["name"])
        except (KeyError, TypeError, ValueError):
            raise DataError(
                f"{json_path}: category {index} needs an integer id and a name"
            ) from None
    if not categories:
        raise DataError(f"{json_path}: has no categories")
    by_image: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    for index, ann in enumerate(data["annotations"]):
        by_image[_int(ann, "image_id", json_path, f"annotation {index}")].append((index, ann))
    images: list[SourceImage] = []
    known_ids: set[int] = set()
    for index, entry in enumerate(data["images"]):
        where = f"{json_path}: image {index}"
        image_id = _int(entry, "id", json_path, f"image {index}")
        file_name = str(entry.get("file_name") or "")
        if not file_name:
            raise DataError(f"{where}: has no file_name")
        known_ids.add(image_id)
        image = SourceImage(
            image_path=os.path.join(images_dir, file_name),
            file_name=file_name,
            where=f"{where} ({file_name})",
            width=_opt_int(entry.get("width")),
            height=_opt_int(entry.get("height")),
            image_id=image_id,
        )
        for ann_index, ann in by_image.get(image_id, []):
            box = _coco_box(ann, categories)
            if isinstance(box, str):
                image.problem = image.problem or f"{json_path}: annotation {ann_index}: {box}"
            else:
                image.boxes.append(box)
        images.append(image)
    orphans = sorted(set(by_image) - known_ids)
    if orphans:
        first = by_image[orphans[0]][0][0]
        raise DataError(
            f"{json_path}: annotation {first}: image_id {orphans[0]} is not in 'images'"
        )
    return images, [categories[k] for k in sorted(categories)]


def _coco_box(ann: dict, categories: dict[int, str]) -> SourceBox | str:
    """Convert one annotation, or return why it cannot be used."""
    bbox = ann.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4:
        return "bbox must be [x, y, width, height]"
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return f"bbox {bbox} is not numeric"
    category = ann.get("category_id")
    if category not in categories:
        return f"category_id {category} is not in 'categories'"
    crowd = bool(ann.get("iscrowd", 0))
    return SourceBox(x, y, x + w, y + h, categories[category], crowd)


def _int(entry: dict, key: str, path: str, what: str) -> int:
    try:
        return int(entry[key])
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{path}: {what}: needs an integer {key!r}") from None


def _opt_int(value: object) -> int | None:
    try:
        return int(value) if value is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def voc_files(source: str) -> list[str]:
    """XML files of a VOC source: a folder, a glob, or one file (sorted, so output is stable)."""
    if os.path.isdir(source):
        files = sorted(glob.glob(os.path.join(source, "*.xml")))
    elif any(c in source for c in "*?["):
        files = sorted(glob.glob(source))
    elif os.path.isfile(source):
        files = [source]
    else:
        raise DataError(f"{source}: VOC annotation folder/file does not exist")
    if not files:
        raise DataError(f"{source}: no VOC .xml files found")
    return files


def read_voc(source: str, images_dir: str | None = None) -> list[SourceImage]:
    """Parse LabelImg-style Pascal VOC XML files (coordinates used as written, as the OD API does).

    ``images_dir`` defaults to each XML file's folder (LabelImg's layout).
    """
    return [_read_voc_file(path, images_dir) for path in voc_files(source)]


def _read_voc_file(path: str, images_dir: str | None) -> SourceImage:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"{path}: not a readable VOC XML file ({exc})") from None
    file_name = (root.findtext("filename") or "").strip()
    if not file_name:
        raise DataError(f"{path}: has no <filename>")
    image = SourceImage(
        image_path=os.path.join(images_dir or os.path.dirname(path), file_name),
        file_name=file_name,
        where=path,
        width=_opt_int(root.findtext("size/width")),
        height=_opt_int(root.findtext("size/height")),
    )
    for index, obj in enumerate(root.findall("object")):
        name = (obj.findtext("name") or "").strip()
        try:
            coords = [float(obj.findtext(f"bndbox/{k}") or "") for k in
                      ("xmin", "ymin", "xmax", "ymax")]  # fmt: skip
        except ValueError:
            image.problem = (
                image.problem or f"{path}: object {index}: bndbox is missing or not numeric"
            )
            continue
        if not name:
            image.problem = image.problem or f"{path}: object {index}: has no <name>"
            continue
        image.boxes.append(SourceBox(*coords, name=name))
    return image
