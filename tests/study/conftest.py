"""Fixtures of the sweeper tests; the helpers live in ``toy_helpers``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.study.toy_helpers import Toy


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Toy]:
    """A toy sweep in ``tmp_path``; background sweeps still alive at the end are killed."""
    runner = Toy(tmp_path)
    yield runner
    for proc in runner.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
