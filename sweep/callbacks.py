"""Hydra callbacks of the app: an outputs folder that cannot be written is one line.

Hydra creates the run (or sweep) folder itself before our task runs, and a folder it
cannot create ends in its own multi-line error. Checking at the start of the run gives
the user our ``error:`` line and exit code 2 instead, before anything is composed further.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from tfod_sweep.errors import BAD_INPUT


def refuse_unwritable(folder: str) -> None:
    """Exit with one ``error:`` line unless ``folder`` can be created and written."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"error: cannot write the outputs folder {path}: {reason}; set "
              "paths.outputs to a folder you can write", file=sys.stderr)
        sys.exit(BAD_INPUT)


class WritableOutputs(Callback):
    """Check the run folder (a run) or the sweep folder (a multirun) before Hydra uses it."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        refuse_unwritable(str(config.hydra.run.dir))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        refuse_unwritable(str(config.hydra.sweep.dir))
