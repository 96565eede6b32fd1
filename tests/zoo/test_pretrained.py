"""``train.pretrained=coco``: download, check, cache and use the zoo's checkpoint; every
failure one line naming the URL. Served from 127.0.0.1, never the internet.

The archives here hold placeholder checkpoint bytes: fetching checks the zoo's layout,
not the weights (tests/training/test_pretrained_run.py fine-tunes from a real one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from google.protobuf import text_format
from object_detection.protos import pipeline_pb2

from tests.conftest import REPO, run_sweep
from tests.study.postgres_server import free_port
from tests.zoo.zoo_server import serve, zoo_archive
from tfod_sweep.config import validate_config
from tfod_sweep.errors import ConfigError
from tfod_sweep.zoo.checkpoints import archive_url
from tfod_sweep.zoo.fetch import FetchError, ensure_checkpoint
from tfod_sweep.zoo.pretrained import apply_pretrained

NAME = "ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8"  # model=ssd320, the default
PATH = f"/20200711/{NAME}.tar.gz"
CHECKPOINT = {"ckpt-0.index": b"placeholder index",
              "ckpt-0.data-00000-of-00001": os.urandom(4096), "checkpoint": b"ckpt-0"}


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TFOD_SWEEP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "zoo"


@pytest.fixture()
def zoo(monkeypatch: pytest.MonkeyPatch):
    with serve() as server:
        monkeypatch.setenv("TFOD_SWEEP_ZOO_MIRROR", server.url)
        yield server


def _leftovers(cache: Path) -> list[str]:
    """What a failed fetch left in the cache (its lock file is expected)."""
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) \
        if cache.exists() else []


def test_fetches_once_then_works_offline(cache, zoo, compose_cfg, monkeypatch):
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"model { ssd { num_classes: 90 } }\n")
    cfg = compose_cfg("train.pretrained=coco")
    validate_config(cfg)
    apply_pretrained(cfg)
    prefix = cache / NAME / "checkpoint" / "ckpt-0"
    assert cfg.train.fine_tune_checkpoint == str(prefix)
    assert cfg.train.fine_tune_checkpoint_type == "detection"
    assert (prefix.parent / "ckpt-0.data-00000-of-00001").read_bytes() == \
        CHECKPOINT["ckpt-0.data-00000-of-00001"]
    assert (cache / NAME / "saved_model" / "saved_model.pb").is_file()
    assert _leftovers(cache) == [NAME] and zoo.hits == [PATH]
    monkeypatch.setenv("TFOD_SWEEP_ZOO_MIRROR", f"http://127.0.0.1:{free_port()}")  # offline
    again = compose_cfg("train.pretrained=coco")
    apply_pretrained(again)
    assert again.train.fine_tune_checkpoint == str(prefix) and zoo.hits == [PATH]


def test_two_workers_share_one_download(cache, zoo):
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"")
    results: list[str] = []
    workers = [threading.Thread(target=lambda: results.append(
        ensure_checkpoint(NAME, zoo.url + PATH))) for _ in range(2)]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert results == [str(cache / NAME / "checkpoint" / "ckpt-0")] * 2
    assert zoo.hits == [PATH]


def _truncated(zoo) -> None:
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"")
    zoo.short.add(PATH)


def _cut_archive(zoo) -> None:
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"")[:-900]


def _not_an_archive(zoo) -> None:
    zoo.files[PATH] = b"<html>a proxy's login page</html>"


def _no_saved_model(zoo) -> None:
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"", saved_model=False)


def _no_data_shard(zoo) -> None:
    zoo.files[PATH] = zoo_archive(NAME, {"ckpt-0.index": b"i"}, b"")


FAILURES = [
    (lambda zoo: None, "cannot download {url}: HTTP 404 Not Found: check the address "
     "(TFOD_SWEEP_ZOO_MIRROR sets a mirror's)"),
    (_truncated, "cannot download {url}: got "),  # "N of 2N bytes: run again"
    (_cut_archive, "{url}: the archive is truncated or corrupt ("),
    (_not_an_archive, "{url}: the archive is truncated or corrupt ("),
    (_no_saved_model, "{url}: not a TF2 zoo checkpoint archive: it lacks "
     f"{NAME}/saved_model/saved_model.pb"),
    (_no_data_shard, "{url}: not a TF2 zoo checkpoint archive: it lacks "
     f"{NAME}/checkpoint/ckpt-0.data-00000-of-00001"),
]  # fmt: skip


@pytest.mark.parametrize(("serve_it", "message"), FAILURES,
                         ids=["404", "short-read", "cut-archive", "html", "no-saved-model",
                              "no-data-shard"])  # fmt: skip
def test_a_failed_fetch_is_one_line_and_leaves_nothing(cache, zoo, serve_it, message):
    serve_it(zoo)
    url = zoo.url + PATH
    with pytest.raises(FetchError) as info:
        ensure_checkpoint(NAME, url)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(message.format(url=url)), str(info.value)
    assert _leftovers(cache) == []


def test_no_network_and_bad_checksum_are_one_line(cache, zoo):
    url = f"http://127.0.0.1:{free_port()}{PATH}"
    with pytest.raises(FetchError, match=r"^cannot download .*: \[Errno 111\] Connection "
                       r"refused: check the network, set TFOD_SWEEP_ZOO_MIRROR to a mirror, "
                       r"or unpack the archive into .* by hand$"):  # fmt: skip
        ensure_checkpoint(NAME, url)
    zoo.files[PATH] = zoo_archive(NAME, CHECKPOINT, b"")
    with pytest.raises(FetchError, match=r"sha256 [0-9a-f]{64} is not the known 00ff: the "
                       r"download is corrupt; run again, or check the mirror$"):  # fmt: skip
        ensure_checkpoint(NAME, zoo.url + PATH, sha256="00ff")
    assert _leftovers(cache) == []


def test_a_full_disk_is_one_line(tmp_path, zoo):
    """The cache on a 64 KiB tmpfs (a private mount namespace) and a larger archive."""
    zoo.files[PATH] = zoo_archive(NAME, {**CHECKPOINT, "ckpt-0.data-00000-of-00001":
                                         os.urandom(256 * 1024)}, b"")  # fmt: skip
    mount = tmp_path / "small"
    mount.mkdir()
    code = ("from tfod_sweep.zoo.fetch import ensure_checkpoint, FetchError\n"
            f"try:\n    ensure_checkpoint({NAME!r}, {zoo.url + PATH!r})\n"
            "except FetchError as exc:\n    print(exc)\n")  # fmt: skip
    script = (f"mount -t tmpfs -o size=64k tmpfs {mount} && "
              f"TFOD_SWEEP_CACHE={mount} {sys.executable} -c \"$CODE\"")  # fmt: skip
    done = subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CODE": code})  # fmt: skip
    assert done.stdout.strip() == (
        f"cannot store {zoo.url + PATH} in {mount}/zoo: the disk is full: free space there, "
        "or set TFOD_SWEEP_CACHE to a folder on a larger disk"), done.stderr[-2000:]


def test_every_model_has_its_published_archive(compose_cfg):
    models = sorted(p.stem for p in (REPO / "conf" / "model").glob("*.yaml"))
    urls = {}
    for model in models:
        cfg = compose_cfg(f"model={model}")
        try:
            urls[model] = archive_url(cfg.model.zoo_config, model)
        except ConfigError as exc:
            urls[model] = str(exc)
    base = "http://download.tensorflow.org/models/object_detection/tf2/"
    assert urls["ssd320"] == base + f"20200711/{NAME}.tar.gz"
    assert urls["centernet_hg104_512"] == (
        base + "20200713/centernet_hg104_512x512_coco17_tpu-8.tar.gz")
    assert urls["efficientdet_d6"] == base + "20200711/efficientdet_d6_coco17_tpu-32.tar.gz"
    assert urls["faster_rcnn50_800x1333"] == (
        base + "20200711/faster_rcnn_resnet50_v1_800x1333_coco17_gpu-8.tar.gz")
    assert urls["faster_rcnn50_fpn_640"] == (
        "train.pretrained=coco: model=faster_rcnn50_fpn_640 (faster_rcnn_resnet50_v1_fpn_640x640"
        "_coco17_tpu-8) has no checkpoint in the TF2 Detection Zoo: allowed "
        "train.pretrained=null, or train.fine_tune_checkpoint=PATH")
    assert sum(url.startswith(base) for url in urls.values()) == len(models) - 1


def test_pretrained_and_a_checkpoint_path_is_one_line(compose_cfg):
    cfg = compose_cfg("train.pretrained=coco", "train.fine_tune_checkpoint=/zoo/ckpt-0")
    with pytest.raises(ConfigError, match=r"^train\.pretrained=coco and train\."
                       r"fine_tune_checkpoint='/zoo/ckpt-0' both name a starting checkpoint: "
                       r"allowed one$"):  # fmt: skip
        apply_pretrained(cfg)
    with pytest.raises(ConfigError, match=r"^train\.pretrained='imagenet' is out of range: "):
        validate_config(compose_cfg("train.pretrained=imagenet"))


def test_dry_run_names_the_cache_without_downloading(tmp_path):
    env = {"TFOD_SWEEP_CACHE": str(tmp_path / "cache"),
           "TFOD_SWEEP_ZOO_MIRROR": f"http://127.0.0.1:{free_port()}"}  # fmt: skip
    done = run_sweep("train.pretrained=coco", "dry_run=true", f"paths.outputs={tmp_path}",
                     "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
                     cwd=REPO, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = [line.split(": ", 1)[1] for line in done.stdout.splitlines()
               if line.startswith("pipeline.config: ")]  # fmt: skip
    pipeline = text_format.Parse(Path(path).read_text(), pipeline_pb2.TrainEvalPipelineConfig())
    assert pipeline.train_config.fine_tune_checkpoint == str(
        tmp_path / "cache" / "zoo" / NAME / "checkpoint" / "ckpt-0")
    assert pipeline.train_config.fine_tune_checkpoint_type == "detection"
    assert not (tmp_path / "cache").exists()


def test_a_run_without_network_ends_in_one_error_line(tmp_path):
    port = free_port()
    env = {"TFOD_SWEEP_CACHE": str(tmp_path / "cache"),
           "TFOD_SWEEP_ZOO_MIRROR": f"http://127.0.0.1:{port}"}  # fmt: skip
    done = run_sweep("train.pretrained=coco", f"paths.outputs={tmp_path}", cwd=REPO, env=env,
                     timeout=300)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: cannot download http://127.0.0.1:{port}{PATH}: "
                                "[Errno 111] Connection refused: check the network"), lines
    assert "Traceback" not in done.stderr


def test_a_half_filled_cache_entry_is_one_line_not_used(cache, zoo):
    (cache / NAME).mkdir(parents=True)
    (cache / NAME / "pipeline.config").write_text("")
    with pytest.raises(FetchError, match=r"^.*/zoo/" + NAME + r" lacks checkpoint/ckpt-0\.index, "
                       r"so it is not a complete zoo checkpoint: delete that folder to download "
                       r"http://127\.0\.0\.1:\d+/20200711/.* again$"):  # fmt: skip
        ensure_checkpoint(NAME, zoo.url + PATH)
    assert zoo.hits == []
