"""Errors that end a run with one clear line instead of a traceback, and `one_line`.

Every CLI prints a `SweepError` as `error: <message>` and exits with `BAD_INPUT` (2, as
argparse does). Any other exception is our bug and keeps its traceback.
"""

from __future__ import annotations

#: Exit code of every CLI for bad input (argparse's own code for usage errors).
BAD_INPUT = 2
_MAX_REASON = 500


def one_line(exc: BaseException, limit: int = _MAX_REASON) -> str:
    """``Type: message`` squeezed onto one line (for fail_reason and error lines)."""
    text = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def squeeze(text: str) -> str:
    """A message's whitespace (newlines from Hydra or Optuna) folded onto one line."""
    return " ".join(text.split())


class SweepError(Exception):
    """Base class: its message is printed alone, as one line, to the user."""


class ConfigError(SweepError):
    """A composed experiment has a value outside its allowed range."""


class DataError(SweepError):
    """A dataset file is missing, corrupt or disagrees with its label map."""


class TrainingError(SweepError):
    """Training could not go on (for example the loss became NaN)."""
