"""One tiny real run, put in a study as its only trial, exported once per session."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

MAP50 = "DetectionBoxes_Precision/mAP@.50IOU"


@dataclass(frozen=True)
class Exported:
    run_dir: Path
    study_dir: Path
    out: Path
    result: subprocess.CompletedProcess[str]

    @property
    def record(self) -> dict[str, Any]:
        return json.loads((self.out / "export.json").read_text())

    def format(self, name: str) -> dict[str, Any]:
        (found,) = [f for f in self.record["formats"] if f["format"] == name]
        return found


def export(*args: str | Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sweep.export", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def trained_run(tiny_run: tuple[Path, str]) -> Path:
    """The session's tiny real run (tests/conftest.py): trained once for training and export."""
    return tiny_run[0]


@pytest.fixture(scope="session")
def exported(trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """The run as trial 0 of a study in the sweeper's default layout, exported from the
    study dir to all four formats."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    root = tmp_path_factory.mktemp("export_study")
    storage = JournalStorage(JournalFileBackend(str(root / "journal.log")))
    study = optuna.create_study(study_name="tiny", storage=storage, direction="maximize")
    final = json.loads((trained_run / "metrics.json").read_text())["final"]
    study.add_trial(optuna.trial.create_trial(
        state=optuna.trial.TrialState.COMPLETE, value=final[MAP50],
        params={"loss.gamma": 2.25},
        distributions={"loss.gamma": optuna.distributions.FloatDistribution(1.0, 3.0)},
        user_attrs={"run_dir": str(trained_run)}))
    (root / "tiny").mkdir()
    out = root / "export"
    result = export(root / "tiny", "--out", out)
    return Exported(trained_run, root / "tiny", out, result)
