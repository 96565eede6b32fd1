"""A real small study for the report tests: the toy app through the real sweeper.

Made once per session (seconds) in a journal file, exactly as `python -m sweep -m
hparams_search=...` would make it; tests that change it work on a copy.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.study.toy_helpers import TOY, Toy

CONF = Path(__file__).parent / "toy_conf"
STUDY = "focal_toy"


class FocalToy(Toy):
    """The toy app searching the focal_depth parameters (tests/report/toy_conf).

    With ``evidence=true`` each trial leaves what a real run leaves: metrics.json with
    per-class AP, preview.png and the run_dir and COCO metric user attributes.
    """

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(TOY), "-m", f"hparams_search={STUDY}",
                f"hydra.searchpath=[file://{CONF}]", "fail_x_below=0.1", "evidence=true",
                *args]


@dataclass(frozen=True)
class MadeStudy:
    """Where the study lives: the sweep's working dir, its study dir and its journal."""

    cwd: Path
    toy: Toy

    @property
    def study_dir(self) -> Path:
        return self.cwd / "outputs" / "studies" / STUDY

    @property
    def journal(self) -> Path:
        return self.toy.journal

    def copy(self, where: Path) -> MadeStudy:
        """The whole working dir copied, to add files or trials without touching the original."""
        shutil.copytree(self.cwd, where)
        return MadeStudy(where, FocalToy(where))


@pytest.fixture(scope="session")
def focal_study(tmp_path_factory: pytest.TempPathFactory) -> MadeStudy:
    """7 trials: COMPLETE 0, 1, 3, 4, 6 (6 is best), FAIL 2, PRUNED 5 at step 1."""
    cwd = tmp_path_factory.mktemp("focal_study")
    toy = FocalToy(cwd)
    result = toy.run(timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    states = [trial.state.name for trial in toy.trials(STUDY)]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "PRUNED",
                      "COMPLETE"], states
    return MadeStudy(cwd, toy)


def cells(line: str) -> list[str]:
    """The cells of a markdown table row (a `\\|` inside a cell is not a separator)."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def table(markdown: str, caption: str) -> list[dict[str, str]]:
    """The rows of the table under `**caption**`, as {header: cell}."""
    block = markdown.split(f"**{caption}**\n\n", 1)[1].split("\n\n", 1)[0]
    lines = block.strip().splitlines()
    headers = cells(lines[0])
    return [dict(zip(headers, cells(line), strict=True)) for line in lines[2:]]
