"""A non-editable `pip install .` runs from any directory, and users extend our configs.

The install goes into a fresh venv whose `.pth` file points at this interpreter's
site-packages: TensorFlow and the other dependencies are reused, never downloaded,
and only the wheel built from this checkout provides `sweep` and `tfod_sweep`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO, run_sweep

# What `pip install .` needs from the checkout (sweep/conf is a link to conf/).
SOURCES = ("pyproject.toml", "README.md", "src", "sweep", "conf")
SMALL_DATA = ("dataset.synthetic.train_images=8", "dataset.synthetic.val_images=4")

USER_EXPERIMENT = """\
# @package _global_
defaults:
  - override /dataset: tiny
loss:
  gamma: 3.5
"""
USER_DATASET = """\
defaults:
  - /base_dataset
name: tiny
num_classes: ${.synthetic.num_classes}
data_dir: ${paths.data_dir}
synthetic:
  num_classes: 7
  train_images: 8
  val_images: 4
"""


def _clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on sys.path."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}


def _run(python: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=_clean_env())


@pytest.fixture(scope="module")
def installed_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only our wheel, built from a copy of the checkout."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    for name in SOURCES:
        src, dst = REPO / name, source / name
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=root).stdout.strip()
    Path(purelib, "reuse_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: the dev venv's editable tfod-sweep is visible through the .pth;
    # never touch it, install beside it.
    done = _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                "--ignore-installed", str(source), cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def test_installed_package_runs_from_an_empty_directory(installed_python, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    where = _run(installed_python, "-c", "import sweep, tfod_sweep; print(sweep.__file__); "
                 "print(tfod_sweep.__file__)", cwd=work)
    assert where.returncode == 0, where.stderr
    venv = installed_python.parent.parent.resolve()
    for line in where.stdout.split():
        assert Path(line).resolve().is_relative_to(venv), line  # the wheel, not the checkout

    shown = _run(installed_python, "-m", "sweep", "--cfg", "job", cwd=work)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "zoo_config: ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config" in shown.stdout

    outputs, data = tmp_path / "outputs", tmp_path / "data"
    rendered = _run(installed_python, "-m", "sweep", "dry_run=true", "experiment=logbook/run_3",
                    f"paths.outputs={outputs}", f"paths.data_dir={data}", *SMALL_DATA, cwd=work)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    pipeline = next(outputs.rglob("pipeline.config"))
    assert (pipeline.parent / "label_map.pbtxt").is_file()
    assert "gamma: 2.25" in pipeline.read_text()
    assert list(data.iterdir()), "the synthetic dataset goes to paths.data_dir"
    assert not list(work.iterdir()), "nothing is written into the working directory"


def test_installed_package_takes_a_users_config_dir(installed_python, tmp_path):
    user_conf = _user_config_dir(tmp_path)
    shown = _run(installed_python, "-m", "sweep", f"hydra.searchpath=[file://{user_conf}]",
                 "experiment=mine", "--cfg", "job", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "gamma: 3.5" in shown.stdout and "name: tiny" in shown.stdout


def _user_config_dir(root: Path) -> Path:
    """A user's own conf dir: one experiment and one dataset, none of our files copied."""
    user_conf = root / "my_conf"
    (user_conf / "experiment").mkdir(parents=True)
    (user_conf / "dataset").mkdir()
    (user_conf / "experiment" / "mine.yaml").write_text(USER_EXPERIMENT)
    (user_conf / "dataset" / "tiny.yaml").write_text(USER_DATASET)
    return user_conf


@pytest.mark.parametrize("how", ["searchpath", "config-dir"])
def test_users_config_dir_adds_an_experiment_and_a_dataset(tmp_path, how):
    user_conf = _user_config_dir(tmp_path)
    extend = ([f"hydra.searchpath=[file://{user_conf}]"] if how == "searchpath"
              else ["--config-dir", str(user_conf)])
    shown = run_sweep(*extend, "experiment=mine", "--cfg", "job", cwd=tmp_path, timeout=60)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "gamma: 3.5" in shown.stdout
    assert "name: tiny" in shown.stdout and "num_classes: 7" in shown.stdout
    assert "backbone:" in shown.stdout, "our groups are still there"


def test_users_dataset_is_type_checked_by_our_schema(tmp_path):
    user_conf = _user_config_dir(tmp_path)
    bad = USER_DATASET.replace("train_images: 8", "train_images: many")
    (user_conf / "dataset" / "tiny.yaml").write_text(bad)
    shown = run_sweep("--config-dir", str(user_conf), "dataset=tiny", "--cfg", "job",
                      cwd=tmp_path, timeout=60)
    assert shown.returncode != 0
    assert "train_images" in shown.stderr
