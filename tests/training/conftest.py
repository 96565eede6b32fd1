"""The tiny real training run lives in tests/conftest.py: training and export share it."""

from tests.conftest import TINY, run_dir_of

__all__ = ["TINY", "run_dir_of"]
