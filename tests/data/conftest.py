"""Shared fixtures: a tiny generated dataset, the OD API decoder, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfod_sweep.data.synthetic import SyntheticDataset, SyntheticParams, ensure_synthetic  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def small_shapes(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDataset:
    """A 21-class set small enough to generate in about a second."""
    params = SyntheticParams(num_classes=21, train_images=12, val_images=10, seed=3)
    return ensure_synthetic(params, str(tmp_path_factory.mktemp("synth")))


@pytest.fixture(scope="session")
def od_decode() -> Callable[[str], list[dict[str, Any]]]:
    """Decode TFRecords exactly as the OD API input pipeline does (tf.data + TfExampleDecoder).

    Uses the same tf-slim/TF 2.15 fix the trainer applies (``tfod_sweep.compat``).
    """
    import tensorflow as tf
    from object_detection.core.standard_fields import InputDataFields as F
    from object_detection.data_decoders.tf_example_decoder import TfExampleDecoder

    from tfod_sweep.compat import patch_tf_slim_control_flow

    patch_tf_slim_control_flow()

    def decode(pattern: str) -> list[dict[str, Any]]:
        files = sorted(tf.io.gfile.glob(pattern))
        assert files, pattern
        dataset = tf.data.TFRecordDataset(files).map(TfExampleDecoder().decode)
        out = []
        for item in dataset.as_numpy_iterator():
            out.append(
                {
                    "image": item[F.image],
                    "source_id": item[F.source_id].decode(),
                    "filename": item[F.filename].decode(),
                    "boxes": item[F.groundtruth_boxes],  # [ymin, xmin, ymax, xmax], normalized
                    "classes": item[F.groundtruth_classes],
                    "area": item[F.groundtruth_area],
                }
            )
        return out

    return decode


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m sweep.data`` in a fresh interpreter, as a user would."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")]
        )
        return subprocess.run(
            [sys.executable, "-m", "sweep.data", *args],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=600,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def write_image() -> Callable[[Path, tuple[int, int], str], None]:
    """Write a real image file of (width, height) in a Pillow format (its pixels: noise)."""
    import numpy as np
    from PIL import Image

    def write(path: Path, size: tuple[int, int], fmt: str = "JPEG") -> None:
        rng = np.random.default_rng(len(path.name) + size[0])
        pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(path, format=fmt)

    return write
