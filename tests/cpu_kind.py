"""Run a command as a CPU without AVX-512 would compute it: ``make test CPU=no-avx512``.

NumPy and oneDNN (TensorFlow's CPU kernels) pick their SIMD code at run time, so a sampler's
draws and a run's floats differ between a CPU with AVX-512 and one without. Both can be told
to stop short of AVX-512, which gives the other kind's numbers on this machine (TensorFlow's
own Eigen kernels are compiled for AVX and do not switch):

    python -m tests.cpu_kind no-avx512 -- python -m pytest tests/study

NumPy names its dispatch targets differently by release (``AVX512F``, ``AVX512_SKX``... up
to 1.26; ``X86_V4``, ``AVX512_ICL``... from 2.x), and ignores, with only a warning, a name it
does not dispatch, so the names are read from the installed NumPy.
"""

from __future__ import annotations

import argparse
import os
import sys


def numpy_avx512_targets() -> list[str]:
    """The installed NumPy's run-time dispatch targets that need AVX-512."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__
    return [name for name in __cpu_dispatch__ if name.startswith("AVX512") or name == "X86_V4"]


def no_avx512_env() -> dict[str, str]:
    """Environment variables that keep NumPy and oneDNN below AVX-512."""
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(numpy_avx512_targets()),
            "ONEDNN_MAX_CPU_ISA": "AVX2"}


KINDS = {"no-avx512": no_avx512_env}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    switches = KINDS[args.kind]()
    print(" ".join(f"{k}={v!r}" for k, v in switches.items()), file=sys.stderr)
    os.execvpe(command[0], command, {**os.environ, **switches})


if __name__ == "__main__":
    main()
