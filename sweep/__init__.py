"""The command-line entry points (`python -m sweep`, `python -m sweep.<tool>`).

Importing tfod_sweep first sets what TensorFlow reads at its import (tfod_sweep.compat).
"""

import tfod_sweep  # noqa: F401
