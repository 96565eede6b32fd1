"""Fixtures of the sweeper tests; the helpers live in ``toy_helpers``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.study.leftovers import sigint_default, sigterm_as_interrupt
from tests.study.postgres_server import PostgresServer, PostgresUnavailable
from tests.study.toy_helpers import Toy

_databases = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _signals() -> Iterator[None]:
    """SIGTERM (a CI timeout) stops the run like Ctrl-C: fixtures stop their daemons.

    And Ctrl-C works in every sweep the tests start, however the run was launched: a
    command started with ``&`` by a shell without job control (a CI script, ``nohup``)
    ignores SIGINT, every child inherits that, and the sweeps the SIGINT test interrupts
    would run on to the end (seen: exit 0). Python's own handler in this process is reset
    to the default disposition in each child at exec.
    """
    with sigint_default(), sigterm_as_interrupt():
        yield


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Toy]:
    """A toy sweep in ``tmp_path``; background sweeps still alive at the end are killed."""
    runner = Toy(tmp_path)
    yield runner
    for proc in runner.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session; the test fails if it cannot start."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:  # outside the except block: the message alone, no chained traceback
        pytest.fail(f"cannot start the PostgreSQL test server: {problem}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """URL of a new, empty database on the session's server."""
    return postgres.create_database(f"study_{next(_databases)}")
