"""The house rules of the package layout, checked on the import statements themselves.

The library (tfod_sweep) never imports the sweeper plugin: the app hands it the trial
handle. The plugin never imports the TensorFlow side of the library (training). The
trainer never reaches up into the exporter: what both use (the stopwatch, the val-image
reader) lives in `measure`, which imports neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _imports(package: Path) -> dict[str, set[str]]:
    """Module file -> every module name it imports (top level or inside functions)."""
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(SRC))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("tfod_sweep", "hydra_plugins"),
    ("hydra_plugins", "tfod_sweep.training"),
    ("tfod_sweep/training", "tfod_sweep.export"),
    ("tfod_sweep/measure", "tfod_sweep.export"),
    ("tfod_sweep/measure", "tfod_sweep.training"),
])
def test_no_import_crosses_the_boundary(package: str, forbidden: str) -> None:
    imports = _imports(SRC / package)
    assert imports, f"no modules found under {package}"
    crossing = {module: sorted(n for n in names if n == forbidden or
                               n.startswith(forbidden + "."))
                for module, names in imports.items()}
    assert not {module: names for module, names in crossing.items() if names}


def test_library_does_not_read_hydra_runtime_state() -> None:
    """Run dirs and reporters come in as arguments; only the app reads HydraConfig."""
    readers = [module for module, names in _imports(SRC / "tfod_sweep").items()
               if "hydra.core.hydra_config" in names]
    assert not readers


def test_the_sweeper_loads_neither_tensorflow_nor_the_od_api() -> None:
    """Every plugin module, imported in a fresh interpreter, and whatever it imports in
    turn: a generic sweeper runs its coordinator without TensorFlow or the OD API."""
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys\n"
        "import hydra_plugins.tfod_optuna_sweeper as plugin\n"
        "names = [m.name for m in pkgutil.walk_packages(plugin.__path__, plugin.__name__ + '.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "                ('tensorflow', 'object_detection', 'keras', 'tf_keras'))\n"
        "print(len(names), loaded[:5])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) > 30  # the walk found the modules, subpackages included
    assert loaded.strip() == "[]"


def test_hydra_start_up_imports_no_optuna() -> None:
    """Hydra imports the plugin's config on every start-up (``--help`` included)."""
    import subprocess
    import sys

    code = ("import sys, hydra_plugins.tfod_optuna_sweeper.config\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'optuna')[:3])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
