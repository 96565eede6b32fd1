"""`python -m tests.cpu_kind no-avx512 -- CMD` really keeps NumPy and oneDNN below AVX-512.

The names NumPy takes changed between releases and a wrong one is only warned about, so a
stale list would silently leave AVX-512 on; these checks read what the child computes with.
On a CPU without AVX-512 they pass as well: there is nothing to switch off.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

#: Prints every AVX-512 dispatch target of NumPy that is still on.
NUMPY_PROBE = (
    "from tests.cpu_kind import numpy_avx512_targets\n"
    "try:\n"
    "    from numpy._core._multiarray_umath import __cpu_features__ as on\n"
    "except ImportError:\n"
    "    from numpy.core._multiarray_umath import __cpu_features__ as on\n"
    "print(sorted(t for t in numpy_avx512_targets() if on.get(t)))\n"
)

#: One convolution through oneDNN, which logs the instruction set it chose.
ONEDNN_PROBE = (
    "import tensorflow as tf\n"
    "tf.nn.conv2d(tf.ones([1, 8, 8, 4]), tf.ones([3, 3, 4, 4]), 1, 'SAME')\n"
)


def _under_no_avx512(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.cpu_kind", "no-avx512", "--", sys.executable, "-c", code],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )


def test_numpy_dispatches_no_avx512_kernel_and_takes_every_name() -> None:
    done = _under_no_avx512(NUMPY_PROBE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "cannot disable" not in done.stderr.lower(), done.stderr


def test_onednn_picks_at_most_avx2() -> None:
    done = _under_no_avx512(ONEDNN_PROBE, ONEDNN_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="3")
    assert done.returncode == 0, done.stderr
    chosen = [line for line in done.stdout.splitlines() if ",isa:" in line]
    assert chosen, done.stdout[-2000:]
    assert all("AVX-512" not in line for line in chosen), chosen


def test_a_missing_command_is_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "tests.cpu_kind", "no-avx512"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith("give the command to run after --")
