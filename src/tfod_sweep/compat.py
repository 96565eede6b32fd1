"""Four compatibility fixes between the OD API's TF1-era input code and TensorFlow 2.15.

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

from collections.abc import Callable
from typing import Any


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
    """All fixes the OD API's input pipeline needs on TF 2.15 (idempotent)."""
    patch_tf_slim_control_flow()
    use_tf2_dataset_map()
    seed_sample_distorted_bounding_box()
    convert_tensor_branching_steps()
