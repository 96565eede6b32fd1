"""How the report finds a study's storage: multirun.yaml, its interpolations, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sweep.report import main
from tests.report.conftest import STUDY, FocalToy, table
from tests.study.postgres_server import PostgresServer, PostgresUnavailable
from tfod_sweep.review.source import SWEEPER_TARGET

PASSWORD = "pw-never-shown-7"


def _multirun(study_dir: Path, storage: str, target: str = SWEEPER_TARGET) -> Path:
    study_dir.mkdir(parents=True)
    (study_dir / "multirun.yaml").write_text(
        "hydra:\n"
        f"  sweeper:\n    _target_: {target}\n    storage: '{storage}'\n"
        f"    study_name: {STUDY}\n"
        f"  runtime:\n    cwd: {study_dir.parent}\n")
    return study_dir


def test_a_password_from_the_environment_is_used_and_never_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFOD_REPORT_PW", PASSWORD)
    study_dir = _multirun(tmp_path / STUDY,
                          "postgresql://tfod:${oc.env:TFOD_REPORT_PW}@127.0.0.1:1/studies")
    assert main([str(study_dir)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: cannot open storage "
                          "postgresql+psycopg://tfod:***@127.0.0.1:1/studies: "), err
    assert err.count("\n") == 1 and PASSWORD not in out + err


def test_an_interpolation_that_cannot_be_resolved_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TFOD_REPORT_PW", raising=False)
    study_dir = _multirun(tmp_path / STUDY,
                          "postgresql://tfod:${oc.env:TFOD_REPORT_PW}@127.0.0.1:1/studies")
    assert main([str(study_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {study_dir / 'multirun.yaml'}: cannot resolve "
                          "hydra.sweeper.storage (")
    assert "Environment variable 'TFOD_REPORT_PW' not found" in err
    assert err.endswith("); pass --storage and --study\n") and err.count("\n") == 1


def test_a_basic_sweeper_multirun_is_read_as_plain_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = _multirun(tmp_path / "grid", "unused",
                     target="hydra._internal.core_plugins.basic_sweeper.BasicSweeper")
    assert main([str(grid)]) == 2  # no storage is opened: it looks for metrics.json files
    assert capsys.readouterr().err == (
        "error: no finished run (metrics.json with a final evaluation) found\n")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"cannot start the PostgreSQL test server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_study_on_postgresql_is_reported_from_its_study_dir(
        postgres: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's way: the password in PGPASSWORD, the URL interpolating it."""
    url = postgres.create_database("report_study")
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    masked = url.replace(postgres.password, "${oc.env:PGPASSWORD}")
    toy = FocalToy(tmp_path)
    result = toy.run(f"hydra.sweeper.storage='{masked}'", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    study_dir = tmp_path / "outputs" / "studies" / STUDY
    assert main([str(study_dir)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows = table(out, "Trials")
    assert [row["state"] for row in rows] == [
        "COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]
    page = (study_dir / "report" / "index.html").read_text()
    markdown = (study_dir / "report" / "report.md").read_text()
    assert postgres.password not in out + page + markdown
    assert f"storage: postgresql+psycopg://{postgres.user}:***@127.0.0.1:" in markdown
    assert (study_dir / "report" / "importances.png").is_file()
