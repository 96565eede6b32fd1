"""Silence TensorFlow's C++ and absl chatter unless the user asks for it."""

from __future__ import annotations

import logging
import os
import warnings


def configure_tf_logging(verbose: bool) -> None:
    """Must run before TensorFlow is imported for the C++ level to take effect."""
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    warnings.filterwarnings("ignore")
    import absl.logging
    import tensorflow as tf

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel(logging.ERROR)
    tf.autograph.set_verbosity(0)
