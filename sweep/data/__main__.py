"""Entry point of ``python -m sweep.data`` (the code lives in ``tfod_sweep.data.cli``)."""

from __future__ import annotations

import sys

from tfod_sweep.data.cli import main

if __name__ == "__main__":
    sys.exit(main())
