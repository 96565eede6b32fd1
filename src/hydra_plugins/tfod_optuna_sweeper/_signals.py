"""Turn SIGINT/SIGTERM into a clean stop without ever orphaning a RUNNING trial.

Two moments must not be cut in half by Ctrl-C: creating a trial (else it exists but
nobody owns it) and recording a result (else a finished trial stays RUNNING). Inside
:func:`deferred_interrupts` the signal is only noted, and acted on right after.
SIGTERM (what ``kill``, schedulers and containers send) is treated like Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Pending:
    """Whether an interrupt arrived while deferred."""

    def __init__(self) -> None:
        self.hit = False


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def deferred_interrupts() -> Iterator[Pending]:
    """Record SIGINT/SIGTERM instead of raising inside the ``with`` body."""
    pending = Pending()
    if not _in_main_thread():
        yield pending
        return

    def note(signum: int, frame: FrameType | None) -> None:
        pending.hit = True

    previous = {sig: signal.signal(sig, note) for sig in _SIGNALS}
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Raise KeyboardInterrupt on SIGTERM too, so both stop a sweep the same way."""
    if not _in_main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
