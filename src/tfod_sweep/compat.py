"""Compatibility fixes between the OD API's TF1-era code and today's TensorFlow.

Before TensorFlow is imported (`prepare_tensorflow`, called by `tfod_sweep/__init__.py`,
so every entry point, CLI, test and worker subprocess gets it):

A. TensorFlow 2.16+ makes `tf.keras` Keras 3, on which the OD API fails at import
   (`layers.experimental`, Keras 2 internals). TF_USE_LEGACY_KERAS=1 routes `tf.keras`
   to the tf-keras package (Keras 2). TensorFlow reads it when `tf.keras` is first
   resolved, and subprocesses inherit it.
B. TensorFlow 2.16 removed `tf.estimator`. `object_detection/inputs.py` imports it at
   module level for its TF1 serving input function only, so a stub module is enough.
C. tensorflow-io's last release (0.37.1) was built for TensorFlow 2.16: its libraries
   fail to load on 2.21 (undefined symbols), and it has no wheel for Python 3.13, so the
   new stack does not install it. `deepmac_meta_arch.py` imports it at module level, and
   `model_builder` imports that module for every model; only DeepMAC's Lab colour
   conversion uses it, so a stub module is enough.

After TensorFlow is imported, four fixes to the input pipeline (`patch_od_api_inputs`):

1. The OD API's `TfExampleDecoder` decodes `image/encoded` through tf-slim's `Image`
   handler, which calls `control_flow_ops.case` and `control_flow_ops.cond`. TensorFlow
   2.13 moved those (and `while_loop`) into their own modules, so every image decode
   fails with an AttributeError. We put the functions back under their old names.
2. `dataset_builder.read_dataset` returns a TF1 `DatasetV1Adapter`, so the builder maps
   decoding and augmentation with `map_with_legacy_function`. A legacy function graph
   does not inherit the global random seed: augmentation is unseeded (every run differs)
   and, with op determinism on, its random ops refuse to run. We hand the builder the
   TF2 dataset inside the adapter, so it takes its own TF2 branch (`dataset.map`).
3. The zoo's `random_crop_image` augmentation calls TF1's
   `image.sample_distorted_bounding_box` without a seed. Unlike other random ops it then
   ignores the global seed, and with op determinism on it raises. Given no seed, we derive
   its op seed from the global seed, the way `tf.random.uniform` does.
4. We trace the input pipelines without AutoGraph (training/model_setup.py: it spent most
   of a build transpiling). One augmentation needs it: `random_square_crop_by_scale`
   branches with a Python `if` on tensors (`if ymin == 0:`), which plain tracing refuses.
   We convert that one function with AutoGraph ourselves, as tf.data did before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from typing import Any

#: The first TensorFlow whose `tf.keras` is Keras 3 and which has no `tf.estimator`.
KERAS_3_TENSORFLOW = (2, 16)
LEGACY_KERAS = "TF_USE_LEGACY_KERAS"


def tensorflow_version() -> tuple[int, int] | None:
    """(major, minor) of the installed TensorFlow, read without importing it; None if absent."""
    for distribution in ("tensorflow", "tensorflow-cpu"):
        try:
            major, minor = importlib.metadata.version(distribution).split(".")[:2]
        except importlib.metadata.PackageNotFoundError:
            continue
        return int(major), int(minor)
    return None


def needs_legacy_keras(version: tuple[int, int] | None) -> bool:
    """Whether this TensorFlow's `tf.keras` is Keras 3 (an unknown one is taken as new)."""
    return version is None or version >= KERAS_3_TENSORFLOW


def use_legacy_keras() -> None:
    """Route `tf.keras` to tf-keras (Keras 2) on TensorFlow 2.16+ (fix A).

    Any other value the user set would make the OD API fail at import, so it is replaced.
    TensorFlow 2.15's `tf.keras` is Keras 2 already: its environment is left as it is.
    """
    if needs_legacy_keras(tensorflow_version()):
        os.environ[LEGACY_KERAS] = "1"


def _stub_module(name: str, why: str) -> types.ModuleType:
    """A module whose every attribute access raises an AttributeError saying why it is absent."""
    module = types.ModuleType(name, f"tfod_sweep stub: {why}")

    def missing(attribute: str) -> Any:
        raise AttributeError(f"{name}.{attribute} is not available: {why}")

    module.__getattr__ = missing  # type: ignore[method-assign]
    return module


#: Modules the OD API imports at module level that today's stack lacks, and why (B, C).
STUBS = {
    # `from tensorflow.compat.v1 import estimator` imports it as a submodule when
    # `tf.compat.v1` has no such attribute (TensorFlow 2.16+), under the name of the module
    # it is given: TensorFlow's wrapper `tensorflow.compat.v1`, or the package inside it.
    "tensorflow.compat.v1.estimator": "tf.estimator was removed in TensorFlow 2.16",
    "tensorflow._api.v2.compat.v1.estimator": "tf.estimator was removed in TensorFlow 2.16",
    "tensorflow_io": "tensorflow-io is not installed (no build of it loads on this stack)",
}


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on `sys.meta_path`: makes a stub only of a module no other finder found.

    So nothing is stubbed where the real module exists (TensorFlow 2.15 has the
    estimator, Python 3.11 tensorflow-io), and nothing is imported before it is asked for.
    """

    def find_spec(self, fullname: str, path: Any = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        """A spec for a stub only if `fullname` is one of STUBS."""
        if fullname not in STUBS:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        """The stub, whose attributes raise the reason the real module is absent."""
        return _stub_module(spec.name, STUBS[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the stub has no code."""


def stub_missing_modules() -> None:
    """Install the StubFinder last on `sys.meta_path` (fixes B and C; idempotent)."""
    if not any(isinstance(finder, StubFinder) for finder in sys.meta_path):
        sys.meta_path.append(StubFinder())


def prepare_tensorflow() -> None:
    """Fixes A-C, which must come before TensorFlow or the OD API is imported (idempotent)."""
    use_legacy_keras()
    stub_missing_modules()


def patch_tf_slim_control_flow() -> None:
    """Make `control_flow_ops.{case,cond,while_loop}` available again (idempotent)."""
    from tensorflow.python.ops import cond, control_flow_case, control_flow_ops, while_loop

    moved = {"case": control_flow_case.case, "cond": cond.cond,
             "while_loop": while_loop.while_loop}
    for name, function in moved.items():
        if not hasattr(control_flow_ops, name):
            setattr(control_flow_ops, name, function)


def use_tf2_dataset_map() -> None:
    """Make the OD API's dataset builder map with seeded TF2 functions (idempotent)."""
    from object_detection.builders import dataset_builder

    original: Callable[..., Any] = dataset_builder.read_dataset
    if getattr(original, "tfod_sweep_tf2", False):
        return

    def read_tf2_dataset(*args: Any, **kwargs: Any) -> Any:
        dataset = original(*args, **kwargs)
        # DatasetV1Adapter keeps the TF2 dataset it wraps in `_dataset` (no public accessor).
        return getattr(dataset, "_dataset", dataset)

    read_tf2_dataset.tfod_sweep_tf2 = True  # type: ignore[attr-defined]
    dataset_builder.read_dataset = read_tf2_dataset


def seed_sample_distorted_bounding_box() -> None:
    """Give TF1's `sample_distorted_bounding_box` the global-seed fallback (idempotent)."""
    import tensorflow as tf
    from tensorflow.python.framework import random_seed

    original: Callable[..., Any] = tf.compat.v1.image.sample_distorted_bounding_box
    if getattr(original, "tfod_sweep_seeded", False):
        return

    def sample(image_size: Any, bounding_boxes: Any, seed: int | None = None,
               seed2: int | None = None, *args: Any, **kwargs: Any) -> Any:
        if not seed and not seed2:
            seed, seed2 = random_seed.get_seed(None)  # (None, None) without a global seed
        return original(image_size, bounding_boxes, seed, seed2, *args, **kwargs)

    sample.tfod_sweep_seeded = True  # type: ignore[attr-defined]
    tf.compat.v1.image.sample_distorted_bounding_box = sample


#: OD API preprocessing steps whose Python `if`s test tensors, so they need AutoGraph
#: (every other step's control flow is on Python values or static shapes; audited for the
#: steps the shipped zoo configs use, tests/training/test_input_augmentations.py).
TENSOR_BRANCHING_STEPS = ("random_square_crop_by_scale",)


def convert_tensor_branching_steps() -> None:
    """Replace those steps with their AutoGraph conversion (idempotent).

    The builder and `preprocess` look the functions up as module globals at call time, so
    replacing the attribute is enough.
    """
    import tensorflow as tf
    from object_detection.core import preprocessor

    for name in TENSOR_BRANCHING_STEPS:
        original = getattr(preprocessor, name)
        if getattr(original, "tfod_sweep_converted", False):
            continue
        converted = tf.autograph.to_graph(original)
        converted.tfod_sweep_converted = True
        setattr(preprocessor, name, converted)


def patch_od_api_inputs() -> None:
    """Fixes 1-4, which the OD API's input pipeline needs since TF 2.13 (idempotent)."""
    patch_tf_slim_control_flow()
    use_tf2_dataset_map()
    seed_sample_distorted_bounding_box()
    convert_tensor_branching_steps()
