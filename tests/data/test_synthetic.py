"""The embedded shapes dataset: OD API readability, determinism, cache and atomicity."""

from __future__ import annotations

import filecmp
import glob
import os
import threading

import numpy as np
import pytest
from pycocotools.coco import COCO

from tfod_sweep.data import SyntheticParams, ensure_synthetic, read_label_map
from tfod_sweep.data.scene import render_scene
from tfod_sweep.data.shapes import class_names
from tfod_sweep.data.synthetic import _generate_atomically, iter_split
from tfod_sweep.errors import ConfigError

TINY = {"num_classes": 42, "train_images": 6, "val_images": 5, "train_shards": 2, "seed": 11}


def test_od_api_decoder_reads_back_what_we_wrote(small_shapes, od_decode):
    params = SyntheticParams(num_classes=21, train_images=12, val_images=10, seed=3)
    written = {str(r.image_id): r for r in iter_split(params, "train")}
    decoded = od_decode(small_shapes.train)
    assert sorted(d["source_id"] for d in decoded) == sorted(written)
    for item in decoded:
        record = written[item["source_id"]]
        assert item["filename"] == record.filename
        assert item["image"].shape == (record.height, record.width, 3)
        size = np.array([record.height, record.width] * 2, dtype=np.float64)
        expected = np.array([[o.ymin, o.xmin, o.ymax, o.xmax] for o in record.objects])
        np.testing.assert_allclose(item["boxes"] * size, expected, atol=1e-3)
        assert item["classes"].tolist() == [o.label for o in record.objects]
        assert 1 <= len(record.objects) <= 6


def test_label_map_readable_by_od_api(small_shapes):
    from object_detection.utils import label_map_util

    ours = read_label_map(small_shapes.label_map)
    theirs = label_map_util.get_label_map_dict(small_shapes.label_map)
    assert theirs == {name: i for i, name in ours.items()}
    assert list(ours.values()) == small_shapes.class_names == class_names(21)
    assert ours[1] == "red_circle" and len(ours) == 21


def test_coco_gt_matches_val_records(small_shapes, od_decode):
    coco = COCO(small_shapes.val_coco_gt)
    assert sorted(coco.getCatIds()) == list(range(1, 22))
    decoded = od_decode(small_shapes.val)
    assert sorted(coco.getImgIds()) == sorted(int(d["source_id"]) for d in decoded)
    for item in decoded:
        image_id = int(item["source_id"])
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        h, w = item["image"].shape[:2]
        boxes = np.array([[a["bbox"][1], a["bbox"][0], a["bbox"][1] + a["bbox"][3],
                           a["bbox"][0] + a["bbox"][2]] for a in anns])  # fmt: skip
        np.testing.assert_allclose(boxes, item["boxes"] * [h, w, h, w], atol=1e-3)
        assert [a["category_id"] for a in anns] == item["classes"].tolist()
        assert all(a["area"] == a["bbox"][2] * a["bbox"][3] and a["iscrowd"] == 0 for a in anns)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    params = SyntheticParams(**TINY)
    first = ensure_synthetic(params, str(tmp_path / "a"))
    second = ensure_synthetic(params, str(tmp_path / "b"))
    names = sorted(os.listdir(first.root))
    assert names == sorted(os.listdir(second.root))
    assert len(names) == 6  # 2 train + 1 val shard, label map, GT json, manifest
    match, mismatch, errors = filecmp.cmpfiles(first.root, second.root, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    other = ensure_synthetic(SyntheticParams(**{**TINY, "seed": 12}), str(tmp_path / "a"))
    assert other.root != first.root
    assert not filecmp.cmp(glob.glob(other.val)[0], glob.glob(first.val)[0], shallow=False)


def test_cache_is_reused_not_regenerated(tmp_path):
    params = SyntheticParams(**TINY)
    first = ensure_synthetic(params, str(tmp_path))
    shard = glob.glob(first.train)[0]
    before = os.stat(shard)
    again = ensure_synthetic(params, str(tmp_path))
    assert again == first
    after = os.stat(shard)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert os.path.basename(first.root).startswith("shapes42-")


def test_leftover_temp_dir_is_never_used_and_gets_cleaned(tmp_path):
    params = SyntheticParams(**TINY)
    stale = tmp_path / f".{params.dir_name()}.tmp-killed"
    stale.mkdir()
    (stale / "train-00000-of-00002.tfrecord").write_bytes(b"half")
    ds = ensure_synthetic(params, str(tmp_path))
    assert not stale.exists()
    assert os.path.basename(ds.root) == params.dir_name()


def test_concurrent_generation_yields_one_complete_dataset(tmp_path):
    params = SyntheticParams(**TINY)
    results = []

    def worker() -> None:
        results.append(ensure_synthetic(params, str(tmp_path)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert [p for p in os.listdir(tmp_path) if not p.endswith(".lock")] == [params.dir_name()]


def test_losing_the_rename_race_keeps_the_winner(tmp_path):
    params = SyntheticParams(**TINY)
    winner = ensure_synthetic(params, str(tmp_path))
    label_map_bytes = open(winner.label_map, "rb").read()
    _generate_atomically(params, str(tmp_path), params.dir_name(), progress=False)
    assert open(winner.label_map, "rb").read() == label_map_bytes
    assert [p for p in os.listdir(tmp_path) if ".tmp-" in p] == []


def test_scenes_cover_all_size_buckets_and_bounded_occlusion():
    names = class_names(21)
    areas = []
    for index in range(60):
        pixels, objects = render_scene(np.random.default_rng([0, 0, index]), 192, names)
        assert pixels.shape == (192, 192, 3) and pixels.dtype == np.uint8
        assert 1 <= len(objects) <= 6
        for obj in objects:
            assert 0 <= obj.xmin < obj.xmax <= 192 and 0 <= obj.ymin < obj.ymax <= 192
            areas.append(obj.area)
    areas_arr = np.array(areas)
    assert (areas_arr < 32**2).any() and ((areas_arr >= 32**2) & (areas_arr < 96**2)).any()
    assert (areas_arr >= 96**2).any()


def test_max_objects_bounds_and_raises_the_object_count():
    names = class_names(21)

    def counts(max_objects: int) -> list[int]:
        return [len(render_scene(np.random.default_rng([0, 0, index]), 128, names,
                                 max_objects)[1]) for index in range(60)]

    assert set(counts(1)) == {1}
    few, many = counts(6), counts(12)
    assert max(few) <= 6 and max(many) <= 12
    assert sum(many) > 1.3 * sum(few)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"num_classes": 20}, "num_classes=20 is out of range: allowed one of 7, 14"),
        ({"image_size": 64}, "image_size=64 is out of range"),
        ({"colour": 3}, "unknown key(s) ['colour']"),
        ({"max_objects": 0}, "max_objects=0 is out of range: allowed in [1, 20]"),
        ({"min_side": 40}, "min_side=40 is out of range: allowed in [8, 31]"),
    ],
)
def test_bad_synthetic_params(values, message):
    with pytest.raises(ConfigError) as info:
        SyntheticParams.from_mapping(values)
    assert message in str(info.value)


def test_min_side_raises_the_smallest_shapes():
    names = class_names(21)

    def smallest(min_side: int) -> float:
        sides = [max(obj.xmax - obj.xmin, obj.ymax - obj.ymin)
                 for index in range(80)
                 for obj in render_scene(np.random.default_rng([0, 0, index]), 128, names, 12,
                                         min_side)[1]]
        return min(sides)

    default, raised = smallest(22), smallest(28)
    assert default < 26 <= 0.95 * 28 <= raised
