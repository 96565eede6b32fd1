"""Run one of the OD API's own command-line tools in this venv, with the tf-slim fix applied.

tf-slim 1.1.0 decodes images with `control_flow_ops.case/cond`, which TensorFlow 2.13+
moved, so in this venv the OD API's `model_main_tf2.py` fails on the first image it
decodes. `python -m sweep.model_main_tf2` and `python -m sweep.exporter_main_v2` put
those names back (`tfod_sweep.compat`) and then call the OD API module's own `main`
with its own flags, unchanged: a run's pipeline.config then works with the OD API's
training, evaluation and export exactly as their documentation describes.
"""

from __future__ import annotations

import importlib


def run_od_api_main(module: str) -> None:
    """Apply the tf-slim fix, then run `object_detection.<module>.main` under absl.

    Only the fix the OD API cannot run without is applied: our trainer's other shims
    (seeded TF2 dataset maps, a seeded crop) change how the OD API samples, so they stay
    out of its own tools.
    """
    from absl import app

    from tfod_sweep.compat import patch_tf_slim_control_flow

    patch_tf_slim_control_flow()
    tool = importlib.import_module(f"object_detection.{module}")  # defines its flags
    app.run(tool.main)
