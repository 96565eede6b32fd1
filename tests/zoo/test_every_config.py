"""Every shipped zoo config renders, builds with the OD API's model_builder, and computes one
training loss at its smallest valid side, with finite values for its own loss components."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from tests.conftest import CONF_DIR, REPO
from tfod_sweep.registry import loss_components, of_zoo_config

pytestmark = [pytest.mark.slow, pytest.mark.zoo_configs]

MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))


@pytest.mark.parametrize("model", MODELS)
def test_zoo_config_builds_and_computes_a_loss(compose_cfg, model):
    result = subprocess.run([sys.executable, "-m", "tests.zoo.build_one", model], cwd=REPO,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")]
    measured = json.loads(line.removeprefix("RESULT "))
    print(line)  # shown with -s: the figures of benchmarks/README.md
    arch = of_zoo_config(compose_cfg(f"model={model}").model.zoo_config).name
    own = [k for k in loss_components(arch) if k not in ("Loss/total_loss",
                                                           "Loss/regularization_loss")]
    assert set(own) <= set(measured["losses"]), measured["losses"]
    assert all(math.isfinite(v) for v in measured["losses"].values()), measured["losses"]
