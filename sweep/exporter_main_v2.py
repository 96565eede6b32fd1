"""`python -m sweep.exporter_main_v2 --input_type=image_tensor --pipeline_config_path=...
--trained_checkpoint_dir=... --output_directory=...`: the OD API's own SavedModel exporter,
flags unchanged, in this venv."""

from __future__ import annotations

from sweep.od_api_main import run_od_api_main

if __name__ == "__main__":
    run_od_api_main("exporter_main_v2")
