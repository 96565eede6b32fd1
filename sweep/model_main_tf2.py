"""`python -m sweep.model_main_tf2 --pipeline_config_path=... --model_dir=...`: the OD API's
own training (and, with --checkpoint_dir, evaluation) loop, flags unchanged, in this venv."""

from __future__ import annotations

from sweep.od_api_main import run_od_api_main

if __name__ == "__main__":
    run_od_api_main("model_main_tf2")
