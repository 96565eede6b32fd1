"""Tests over every shipped zoo config: `-m zoo` selects them (their own make target)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "zoo: builds every shipped zoo config (make test-zoo)")
