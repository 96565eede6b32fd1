"""The supported stacks (docs/compatibility.md): Makefile's STACK and the pins of each.

Each stack's requirements/ file pins every package; this venv must be one of them, so the
tests that run here are the tests of a stack the README names.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

#: STACK -> (Python, TensorFlow, venv, pins), as the Makefile and the README name them.
STACKS = {
    "tf221": ("3.12", "2.21", ".venv", "requirements/tf221.txt"),
    "tf221-py313": ("3.13", "2.21", ".venv-tf221-py313", "requirements/tf221.txt"),
    "tf215": ("3.11", "2.15", ".venv-tf215", "requirements/tf215.txt"),
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+)$")


def pins(path: Path) -> dict[str, str]:
    """Normalized package name -> pinned version of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"{path.name}: not an exact pin: {line}"
        found[re.sub(r"[-_.]+", "-", match["name"]).lower()] = match["version"]
    return found


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_make_installs_each_stack_into_its_venv_from_its_pins(stack: str) -> None:
    _, _, venv, lock = STACKS[stack]
    # -B: print the install commands even where the venv is already installed.
    shown = _make("-B", "install", f"STACK={stack}")
    assert shown.returncode == 0, shown.stderr
    assert f"{venv}/bin/python -m pip install --quiet -c {lock} -e" in shown.stdout


def test_an_unknown_stack_is_one_line_error() -> None:
    shown = _make("install", "STACK=tf999")
    assert shown.returncode != 0
    (line,) = shown.stderr.strip().splitlines()
    assert "STACK=tf999 is not a supported stack: use tf221, tf221-py313 or tf215" in line


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_the_pins_are_exact_versions_with_the_stacks_tensorflow(stack: str) -> None:
    _, tensorflow, _, lock = STACKS[stack]
    pinned = pins(REPO / lock)
    assert pinned["tensorflow"].startswith(f"{tensorflow}."), pinned["tensorflow"]
    nodeps = REPO / lock.replace(".txt", "-nodeps.txt")
    if nodeps.exists():  # installed with --no-deps, at the same versions
        assert pins(nodeps).items() <= pinned.items()


def test_this_venv_is_a_supported_stack_at_its_pins() -> None:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    locks = [lock for version, _, _, lock in STACKS.values() if version == python]
    assert len(locks) == 1, f"Python {python} is not the Python of a supported stack"
    pinned = pins(REPO / locks[0])
    for name in ("tensorflow", "tf-models-official", "tf-object-detection-api", "protobuf",
                 "numpy", "optuna"):
        assert importlib.metadata.version(name) == pinned[name], name


def test_a_venv_of_another_python_is_one_line_error(tmp_path: Path) -> None:
    """E.g. the Python 3.11 `.venv` of the former default, where STACK=tf221 wants 3.12."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    stack, (version, _, venv, _) = next((name, spec) for name, spec in STACKS.items()
                                        if spec[0] != python)
    for name in ("Makefile", "pyproject.toml", "requirements"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / venv)],
                   check=True)
    made = subprocess.run(["make", "install", f"STACK={stack}"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode != 0
    assert f"error: {venv} is not Python {version}, which STACK={stack} needs" in made.stderr
    assert len([line for line in made.stderr.splitlines() if "error:" in line]) == 1
