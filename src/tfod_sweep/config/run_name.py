"""A run directory name derived from the command-line overrides.

The same command maps to the same directory, so running it again resumes from the
latest checkpoint instead of starting a second, unrelated run.
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME_LENGTH = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._=,@+-]")


def run_name(override_dirname: str) -> str:
    """`loss.gamma=2.25,model=ssd320` -> a safe directory name; `default` for no overrides."""
    if not override_dirname:
        return "default"
    name = _UNSAFE.sub("_", override_dirname.replace("'", "").replace('"', ""))
    if len(name) > MAX_NAME_LENGTH:
        digest = hashlib.sha1(override_dirname.encode()).hexdigest()[:10]
        name = f"{name[:MAX_NAME_LENGTH - 11]}-{digest}"
    return name
