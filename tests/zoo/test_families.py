"""One model per zoo family trains 2 steps and evaluates: 12 COCO metrics and its own losses.

Small but real: each family's own zoo config at its smallest valid side (the registry's
resolution rule: 128, or 160 for ResNet-FPN and 256 for EfficientDet), batch 2, on 8
embedded training images. 1-2 minutes per family on a 2-core CPU, hence `-m zoo`.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, run_dir_of, run_sweep
from tfod_sweep.metric_names import COCO_METRICS
from tfod_sweep.registry import loss_components

pytestmark = [pytest.mark.slow, pytest.mark.zoo]

#: model -> the architecture its zoo config is (checked against metrics.json's `arch`), side.
FAMILIES = {
    "ssd640": ("ssd", 128),                # SSD MobileNet v2 FPNLite
    "ssd_mobilenet_v2_300": ("ssd", 128),  # plain SSD MobileNet v2
    "efficientdet_d0": ("ssd", 256),       # EfficientNet-BiFPN
    "retinanet50_640": ("ssd", 160),       # SSD ResNet50 v1 FPN
    "faster_rcnn50_640": ("faster_rcnn", 128),
    "centernet512": ("center_net", 128),   # CenterNet ResNet101 v1 FPN
}
TINY = ("train.batch_size=2", "train.num_steps=2", "train.eval_every=2",
        "train.checkpoint_every=2", "eval.max_images=4", "eval.latency_images=0",
        "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4",
        "dataset.synthetic.image_size=128")


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_family_trains_and_evaluates(model, tmp_path):
    arch, side = FAMILIES[model]
    result = run_sweep(f"model={model}", f"resolution.height={side}",
                       f"resolution.width={side}", *TINY, f"paths.outputs={tmp_path}",
                       cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((run_dir_of(tmp_path) / "metrics.json").read_text())
    assert (metrics["name"], metrics["arch"], metrics["steps"]) == (model, arch, 2)
    for name in (*COCO_METRICS, *loss_components(arch)):
        assert isinstance(metrics["final"][name], float), name
