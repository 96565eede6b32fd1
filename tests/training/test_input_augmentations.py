"""Every augmentation a shipped zoo config uses builds and yields a batch in our pipeline.

The trainer traces the OD API's input functions without AutoGraph (a tenth of the build
time), so a step that branches with a Python `if` on a tensor would fail at trace time
unless compat.py converts it. The zoo's own lists are what a user gets by default
(`train.augmentations: null`), so each step they name is built here, at its defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tfod_sweep.zoo
from tfod_sweep.zoo import load_zoo_config

pytestmark = pytest.mark.slow


def _zoo_steps() -> list[str]:
    """The preprocessing steps named in any shipped zoo config, each once."""
    configs = sorted(Path(tfod_sweep.zoo.__file__).parent.glob("*.config"))
    steps = {option.WhichOneof("preprocessing_step")
             for path in configs
             for option in load_zoo_config(path.name).train_config.data_augmentation_options}
    return sorted(steps)


def test_the_zoo_configs_name_the_steps_this_file_builds() -> None:
    # If the shipped configs change, the list below changes with them; it must not be empty.
    assert "random_square_crop_by_scale" in _zoo_steps()
    assert len(_zoo_steps()) >= 5


@pytest.mark.parametrize("step", _zoo_steps())
def test_a_zoo_augmentation_builds_without_autograph_and_yields_a_batch(
    step: str, compose_cfg, tmp_path: Path
) -> None:
    import tensorflow as tf

    from tfod_sweep.runner import render_run_files
    from tfod_sweep.training.model_setup import build_setup

    cfg = compose_cfg("experiment=demo", f"train.augmentations=[{step}]", "train.batch_size=2",
                      "dataset.synthetic.train_images=8", "dataset.synthetic.val_images=2")
    pipeline, _ = render_run_files(cfg, tmp_path / "run")
    tf.keras.backend.clear_session()
    setup = build_setup(pipeline, tmp_path / "run")
    features, labels = next(iter(setup.train_dataset))
    assert features["image"].shape == (2, 128, 128, 3)
    assert labels["groundtruth_boxes"].shape[0] == 2
    assert bool(tf.reduce_all(tf.math.is_finite(features["image"])))
