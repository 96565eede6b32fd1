"""Every entry point and worker gets Keras 2 behind `tf.keras`, and the OD API imports.

TensorFlow 2.16+ makes `tf.keras` Keras 3, on which the OD API fails at import;
`tfod_sweep.compat.prepare_tensorflow` sets TF_USE_LEGACY_KERAS=1 there before TensorFlow
is imported. Each check starts a fresh interpreter whose environment lacks the variable,
so only the project can have set it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tfod_sweep.compat import LEGACY_KERAS, needs_legacy_keras, tensorflow_version

#: The value each process must see on this stack (TF 2.15's tf.keras is Keras 2 already).
EXPECTED: str | None = "1" if needs_legacy_keras(tensorflow_version()) else None

#: Prints the variable and the version of the Keras package behind `tf.keras`.
KERAS_PROBE = (
    "import os, sys, tensorflow as tf; "
    "package = sys.modules[tf.keras.__name__.split('.')[0]]; "
    f"print(os.environ.get('{LEGACY_KERAS}'), package.__name__, package.__version__)"
)


def _without_legacy_keras() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != LEGACY_KERAS}


@pytest.mark.parametrize("entry", ["sweep.app", "sweep.model_main_tf2", "sweep.exporter_main_v2",
                                   "sweep.export", "sweep.report"])
def test_entry_points_put_keras_2_behind_tf_keras(entry: str) -> None:
    probe = subprocess.run([sys.executable, "-c", f"import {entry}; {KERAS_PROBE}"], cwd=REPO,
                           capture_output=True, text=True, timeout=300,
                           env=_without_legacy_keras())
    assert probe.returncode == 0, probe.stderr[-3000:]
    value, package, version = probe.stdout.split()[-3:]
    assert value == str(EXPECTED)
    assert version.startswith("2."), f"tf.keras is {package} {version}"


def test_this_test_process_has_it_before_tensorflow() -> None:
    # tests/conftest.py imports tfod_sweep, which is what set it here.
    assert os.environ.get(LEGACY_KERAS) == EXPECTED


def test_the_od_api_imports_its_tf1_and_tensorflow_io_modules() -> None:
    # inputs.py imports tf.compat.v1.estimator (gone since TF 2.16) and deepmac_meta_arch.py
    # tensorflow_io (no working build for TF 2.21): both are stubbed where missing.
    from object_detection import inputs, model_lib_v2
    from object_detection.meta_architectures import deepmac_meta_arch

    assert inputs.tf_estimator is not None and model_lib_v2 is not None
    tfio = deepmac_meta_arch.tfio
    if (tfio.__doc__ or "").startswith("tfod_sweep stub"):
        with pytest.raises(AttributeError, match="tensorflow-io is not installed"):
            tfio.experimental  # noqa: B018
