"""Hydra entry point of the ``tfod_optuna`` sweeper.

Kept thin on purpose: Hydra imports every public module under ``hydra_plugins`` at each
start-up, so Optuna and the sweep loop are only imported when this sweeper is chosen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

_T = TypeVar("_T")


def _one_line_errors(step: Callable[[], _T]) -> _T:
    """Run ``step``; a SweeperError becomes ``error: <message>`` on stderr and its exit code.

    Hydra would add a "set HYDRA_FULL_ERROR" hint to our message; our errors are
    complete sentences, so they are printed alone (HYDRA_FULL_ERROR=1 still re-raises).
    """
    from hydra_plugins.tfod_optuna_sweeper._errors import SweeperError

    try:
        return step()
    except SweeperError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        sys.stdout.flush()
        print(f"error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None


class TfodOptunaSweeper(Sweeper):
    """Optuna study as a Hydra multirun: pruning, resume, parallel workers, retries."""

    def __init__(self, **kwargs: Any) -> None:
        # The settings are read in setup() from the composed config, where interpolations
        # into the task config (e.g. ${train.eval_every}) resolve.
        super().__init__()
        self._impl: Any = None

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        """Validate settings and open the study (errors are one line, exit code 1)."""
        from hydra_plugins.tfod_optuna_sweeper._impl import SweepRunner

        self._impl = _one_line_errors(
            lambda: SweepRunner(
                hydra_context=hydra_context, task_function=task_function, config=config
            )
        )

    def sweep(self, arguments: list[str]) -> Any:
        """Run trials until the study holds ``n_trials`` finished trials."""
        assert self._impl is not None, "setup() must run before sweep()"
        return _one_line_errors(lambda: self._impl.sweep(arguments))
