"""Fixtures of the dashboard tests: the toy sweep of the sweeper tests, reused as is."""

from __future__ import annotations

from tests.study.conftest import toy  # noqa: F401 - the fixture, shared with tests/study

