"""Write the export beside `--out` and rename it into place only when it is complete.

A crash, Ctrl-C or a bad checkpoint then leaves no half-written export: `--out` is
either absent, the previous export (until the final rename), or the new one whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tfod_sweep.errors import SweepError


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse an existing `out` unless `overwrite` (checked before any work starts).

    Raises:
        SweepError: `out` exists and `overwrite` is False, or `out` is a file.
    """
    if out.exists() and not overwrite:
        raise SweepError(f"{out} exists; pass --overwrite to replace it")
    if out.exists() and not out.is_dir():
        raise SweepError(f"{out} exists and is not a directory")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def staged(out: Path, overwrite: bool) -> Iterator[Path]:
    """Yield an empty temp dir beside `out`; on success it becomes `out`.

    On any exception the temp dir is removed and `out` is left as it was.
    """
    check_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    work.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an export is for sharing
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = None
    if out.exists():  # overwrite: move the previous export aside, then drop it
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
        os.replace(out, old / out.name)
    os.replace(work, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
