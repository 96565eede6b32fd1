"""The official TF2 model-zoo pipeline configs every experiment starts from (package data)."""

from __future__ import annotations

from importlib import resources

from google.protobuf import text_format
from object_detection.protos import pipeline_pb2

from tfod_sweep.errors import ConfigError


def zoo_config_names() -> list[str]:
    return sorted(p.name for p in resources.files(__name__).iterdir() if p.name.endswith(".config"))


def load_zoo_config(file_name: str) -> pipeline_pb2.TrainEvalPipelineConfig:
    """Parse a shipped zoo config into the OD API's own message."""
    path = resources.files(__name__).joinpath(file_name)
    if not path.is_file():
        raise ConfigError(
            f"model.zoo_config={file_name!r} is unknown: "
            f"allowed one of {', '.join(zoo_config_names())}"
        )
    return text_format.Parse(path.read_text(), pipeline_pb2.TrainEvalPipelineConfig())
