"""Silence TensorFlow's C++ and absl chatter unless the user asks for it (TF only on demand)."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from types import ModuleType


def configure_tf_logging(verbose: bool) -> None:
    """Call before TensorFlow is imported: the C++ log level is read once, at import."""
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    warnings.filterwarnings("ignore")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def import_tensorflow(verbose: bool) -> ModuleType:
    """Import TensorFlow; unless verbose, with file descriptor 2 sent to /dev/null meanwhile.

    Since TF 2.16 its C++ libraries log a few INFO lines (oneDNN, no CUDA driver) through
    absl before absl's logging is initialized, which writes everything to stderr whatever
    TF_CPP_MIN_LOG_LEVEL says; a CLI's one-line error would then come after six lines of
    chatter. The devices are listed while stderr is away too: on a machine without a GPU,
    TF 2.21 logs its failed `cuInit` as an ERROR line the first time it looks for one. An
    import error still propagates once stderr is back.
    """
    if verbose or "tensorflow" in sys.modules:
        return importlib.import_module("tensorflow")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        tensorflow = importlib.import_module("tensorflow")
        tensorflow.config.list_physical_devices()
        return tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
