"""Silence TensorFlow's C++ and absl chatter unless the user asks for it (TF-free)."""

from __future__ import annotations

import logging
import os
import warnings


def configure_tf_logging(verbose: bool) -> None:
    """Call before TensorFlow is imported: the C++ log level is read once, at import."""
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    warnings.filterwarnings("ignore")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
