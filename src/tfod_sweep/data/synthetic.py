"""The embedded shapes dataset: parameters, deterministic generation, and its cache.

A dataset directory is named after a hash of its parameters and appears only
by an atomic rename once complete, so a killed run never leaves something that
looks finished, and concurrent runs agree on one result.
"""

from __future__ import annotations

import dataclasses
import glob
import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tfod_sweep.config.schema import GENERATOR_VERSION, SyntheticParams
from tfod_sweep.data.coco_gt import CocoGtBuilder
from tfod_sweep.data.label_map import label_map_text
from tfod_sweep.data.records import ImageRecord
from tfod_sweep.data.scene import render_scene
from tfod_sweep.data.shapes import class_names as shape_class_names
from tfod_sweep.data.tfrecord_io import shard_glob, shard_name, write_shards
from tfod_sweep.errors import DataError
from tfod_sweep.fileio import file_lock

log = logging.getLogger(__name__)

LABEL_MAP_FILE = "label_map.pbtxt"
VAL_COCO_GT_FILE = "val_coco_gt.json"
MANIFEST_FILE = "dataset.json"
_SPLIT_CODES = {"train": 0, "val": 1}


@dataclass(frozen=True)
class SyntheticDataset:
    """Paths of a complete generated dataset."""

    root: str
    train: str
    val: str
    label_map: str
    val_coco_gt: str
    class_names: list[str]


def _layout(params: SyntheticParams, root: str) -> SyntheticDataset:
    return SyntheticDataset(
        root=root,
        train=os.path.join(root, shard_glob("train", params.train_shards)),
        val=os.path.join(root, shard_glob("val", params.val_shards)),
        label_map=os.path.join(root, LABEL_MAP_FILE),
        val_coco_gt=os.path.join(root, VAL_COCO_GT_FILE),
        class_names=shape_class_names(params.num_classes),
    )


def encode_jpeg(pixels: np.ndarray) -> bytes:
    """JPEG with fixed settings (no chroma subsampling: small coloured shapes stay crisp)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=92, subsampling=0)
    return buffer.getvalue()


def iter_split(params: SyntheticParams, split: str) -> Iterator[ImageRecord]:
    """Yield one split's images; image ids are 1..train, then continue for val."""
    names = shape_class_names(params.num_classes)
    count = params.train_images if split == "train" else params.val_images
    first_id = 1 if split == "train" else params.train_images + 1
    for index in range(count):
        rng = np.random.default_rng([params.seed, _SPLIT_CODES[split], index])
        pixels, objects = render_scene(rng, params.image_size, names, params.max_objects,
                                       params.min_side)
        yield ImageRecord(
            image_id=first_id + index,
            filename=f"{split}_{index:06d}.jpg",
            encoded=encode_jpeg(pixels),
            image_format="jpeg",
            width=params.image_size,
            height=params.image_size,
            objects=objects,
        )


def generate_into(params: SyntheticParams, out_dir: str, progress: bool = False) -> None:
    """Write every file of the dataset into the existing directory ``out_dir``."""
    from tqdm import tqdm

    names = shape_class_names(params.num_classes)
    total = params.train_images + params.val_images
    with tqdm(total=total, unit="img", desc="shapes", disable=None if progress else True) as bar:

        def counted(records: Iterator[ImageRecord]) -> Iterator[ImageRecord]:
            for record in records:
                yield record
                bar.update(1)

        write_shards(counted(iter_split(params, "train")), out_dir, "train", params.train_shards)
        gt = CocoGtBuilder(names, description=f"synthetic {params.dir_name()} val")
        write_shards(counted(gt.tap(iter_split(params, "val"))), out_dir, "val", params.val_shards)
    gt.write(os.path.join(out_dir, VAL_COCO_GT_FILE))
    with open(os.path.join(out_dir, LABEL_MAP_FILE), "w", encoding="utf-8") as handle:
        handle.write(label_map_text(names))
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "params": dataclasses.asdict(params),
        "class_names": names,
    }
    with open(os.path.join(out_dir, MANIFEST_FILE), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")


def _expected_files(params: SyntheticParams) -> list[str]:
    shards = [shard_name("train", i, params.train_shards) for i in range(params.train_shards)]
    shards += [shard_name("val", i, params.val_shards) for i in range(params.val_shards)]
    return [*shards, LABEL_MAP_FILE, VAL_COCO_GT_FILE, MANIFEST_FILE]


def _check_complete(params: SyntheticParams, root: str) -> None:
    missing = [f for f in _expected_files(params) if not os.path.isfile(os.path.join(root, f))]
    if missing:
        raise DataError(
            f"{root}: cached synthetic dataset is missing {missing[0]}; delete the directory "
            "to regenerate it"
        )


def ensure_synthetic(
    params: SyntheticParams, data_dir: str, progress: bool = False
) -> SyntheticDataset:
    """Return the cached dataset for ``params``, generating it first if needed."""
    data_dir = os.path.abspath(os.path.expanduser(data_dir))
    name = params.dir_name()
    final = os.path.join(data_dir, name)
    if not os.path.isdir(final):
        os.makedirs(data_dir, exist_ok=True)
        # Generators of one dataset wait for each other instead of redoing it.
        with file_lock(os.path.join(data_dir, f".{name}.lock")):
            if not os.path.isdir(final):
                _generate_atomically(params, data_dir, name, progress)
    _check_complete(params, final)
    return _layout(params, final)


def _generate_atomically(params: SyntheticParams, data_dir: str, name: str, progress: bool) -> None:
    # Holding the lock, any temp dir of this dataset is left over from a killed run.
    for stale in glob.glob(os.path.join(data_dir, f".{name}.tmp-*")):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=data_dir)
    log.info("generating synthetic dataset %s in %s", name, data_dir)
    try:
        generate_into(params, tmp, progress=progress)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        os.rename(tmp, os.path.join(data_dir, name))
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isdir(os.path.join(data_dir, name)):
            raise
        # Another process (without the lock, e.g. on another host) won the race.
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
