"""docs/ARCHITECTURE.md's module map names only paths that exist, and every package.

A map that names a moved or deleted module misleads the next reader more than no map,
so a rename that forgets the doc fails here, with the names.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "ARCHITECTURE.md"
#: `path/like/this.py`, `module.py` or `package/`: a name in backticks the map must keep true.
_PATH = re.compile(r"`([\w./-]+(?:\.py|/))`")


def _map_rows() -> list[str]:
    """The table rows of the "Module map" section."""
    section = DOC.read_text().split("## Module map", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _exists(name: str, base: Path | None) -> bool:
    """A name from the repo root, from src/, or (a bare one) beside the row's first path."""
    places = [REPO / name, REPO / "src" / name]
    if base is not None:
        places.append(base / name)
    return any(place.exists() for place in places)


def _row_base(first: str) -> Path | None:
    for root in (REPO, REPO / "src"):
        path = root / first
        if path.exists():
            return path if path.is_dir() else path.parent
    return None


def test_every_path_in_the_map_exists() -> None:
    rows = _map_rows()
    assert len(rows) > 10, "the module map table was not found"
    missing = []
    for row in rows:
        names = _PATH.findall(row)
        base = _row_base(names[0]) if names else None
        missing += [f"{names[0]}: {name}" for name in names if not _exists(name, base)]
    assert not missing, f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_package_has_a_row() -> None:
    """A new package of the library or the plugin gets its line in the map."""
    first_cells = {_PATH.findall(row)[0] for row in _map_rows()}
    packages = [f"tfod_sweep/{init.parent.name}/"
                for init in sorted((REPO / "src" / "tfod_sweep").glob("*/__init__.py"))]
    unnamed = [name for name in [*packages, "hydra_plugins/tfod_optuna_sweeper/"]
               if name not in first_cells]
    assert not unnamed, f"packages without a row in docs/ARCHITECTURE.md: {unnamed}"


def test_a_renamed_module_fails_the_check() -> None:
    """The check itself: a name that is not there is caught, a bare one beside its row."""
    base = _row_base("tfod_sweep/review/")
    assert base is not None and _exists("logbook.py", base)
    assert not _exists("report_doc.py", base)
    assert not _exists("tfod_sweep/reporting.py", None)
