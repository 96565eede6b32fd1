"""Disk trouble: a full disk under a run, and outputs that cannot be written.

Each is a real file system: a small tmpfs mounted over the study's folder (the tests run
as root, as CI does), filled for real or remounted read-only. The journal lives outside
it, as a study's storage usually does (a server database, or another disk).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from optuna.trial import TrialState

from hydra_plugins.tfod_optuna_sweeper._attrs import FAIL_REASON
from hydra_plugins.tfod_optuna_sweeper._budget import slot_trials
from tests.study.toy_helpers import Toy


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        pytest.fail(f"mount {' '.join(args)} failed (these tests need root): {result.stderr}",
                    pytrace=False)


@pytest.fixture
def small_disk(toy: Toy) -> Iterator[Path]:
    """A 2 MiB tmpfs over the toy study's folder; unmounted at the end."""
    folder = toy.cwd / "outputs" / "studies" / "toy"
    folder.mkdir(parents=True)
    _mount("-t", "tmpfs", "-o", "size=2m,mode=755", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def _storage(toy: Toy) -> str:
    return f"hydra.sweeper.storage={toy.cwd / 'journal.log'}"


def _journal_trials(toy: Toy) -> list:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(toy.cwd / "journal.log")))
    return optuna.load_study(study_name="toy", storage=storage).get_trials()


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_a_full_disk_stops_with_one_line_keeps_finished_trials_and_resumes(
    toy: Toy, small_disk: Path
) -> None:
    common = (_storage(toy), "evidence=true", "preview=false", "hydra.sweeper.pruner=null")
    first = toy.run(*common, "hydra.sweeper.n_trials=2")
    assert first.returncode == 0, first.stderr
    kept = {p: p.read_bytes() for p in sorted(small_disk.glob("trial_*/metrics.json"))}
    before = {t.number: (t.params, t.value) for t in _journal_trials(toy)}
    assert len(kept) == 2 and len(before) == 2

    # Trial 2 fills the disk at its second step; its next metrics.json write fails.
    full = toy.run(*common, "hydra.sweeper.n_trials=4", "fill_disk_at_step=2")
    assert full.returncode == 1, full.stderr
    errors = _error_lines(full.stderr)
    assert len(errors) == 1, full.stderr
    assert "No space left on device" in errors[0] and "re-run the same command" in errors[0]
    assert "Traceback" not in full.stderr
    trials = _journal_trials(toy)
    failed = next(t for t in trials if t.number == 2)
    assert failed.state == TrialState.FAIL
    assert "No space left on device" in failed.user_attrs[FAIL_REASON]
    assert [t.state for t in trials if t.number > 2] == [TrialState.WAITING]  # its retry
    assert {p: p.read_bytes() for p in kept} == kept  # finished runs intact
    assert {t.number: (t.params, t.value) for t in trials if t.number < 2} == before

    (small_disk / "filler").unlink()
    again = toy.run(*common, "hydra.sweeper.n_trials=4")
    assert again.returncode == 0, again.stderr
    trials = _journal_trials(toy)
    slots = slot_trials(trials)
    assert [t.state for t in slots] == [TrialState.COMPLETE] * 4
    assert next(t for t in slots if t.number == 3).params == failed.params  # same point
    assert {t.number: (t.params, t.value) for t in trials if t.number < 2} == before
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]


def test_outputs_that_cannot_be_written_are_one_line_and_a_rerun_resumes(
    toy: Toy, small_disk: Path
) -> None:
    _mount("-o", "remount,ro", str(small_disk))
    result = toy.run(_storage(toy), "hydra.sweeper.n_trials=2")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot write {small_disk / 'multirun.yaml'}: ")
    assert "Read-only file system" in lines[0]
    assert not [t for t in _journal_trials(toy) if t.state != TrialState.COMPLETE]

    _mount("-o", "remount,rw", str(small_disk))
    again = toy.run(_storage(toy), "hydra.sweeper.n_trials=2")
    assert again.returncode == 0, again.stderr
    assert [t.state for t in _journal_trials(toy)] == [TrialState.COMPLETE] * 2
