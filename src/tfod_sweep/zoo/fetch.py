"""Download a zoo checkpoint archive once, check it, and keep it unpacked in a user cache.

The archive is downloaded and unpacked under a temporary name beside the cache entry
and renamed into place only after every check passed, so a half-downloaded or
half-unpacked archive is never used. A lock file lets the workers of a study share
one download. A cache entry unpacked by hand (offline machines) is used as it is.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tfod_sweep.errors import SweepError
from tfod_sweep.zoo.checkpoints import MIRROR_ENV

CACHE_ENV = "TFOD_SWEEP_CACHE"
#: The checkpoint inside a zoo archive that fine-tuning starts from.
CHECKPOINT_PREFIX = "checkpoint/ckpt-0"
#: What every zoo archive holds besides the checkpoint's data shards.
REQUIRED_FILES = ("checkpoint/ckpt-0.index", "pipeline.config", "saved_model/saved_model.pb")
_CHUNK = 1 << 20
_TIMEOUT = 60  # seconds without a byte before a download is given up


class FetchError(SweepError):
    """A zoo checkpoint could not be downloaded, checked or stored (one line: URL + remedy)."""


def cache_dir() -> Path:
    """``$TFOD_SWEEP_CACHE/zoo``, else ``$XDG_CACHE_HOME/tfod-sweep/zoo`` (``~/.cache``)."""
    root = os.environ.get(CACHE_ENV, "").strip()
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join("~", ".cache")
        root = os.path.join(xdg, "tfod-sweep")
    return Path(root).expanduser().resolve() / "zoo"


def checkpoint_prefix(name: str) -> str:
    """Where archive ``name``'s checkpoint is (or will be) once cached."""
    return str(cache_dir() / name / CHECKPOINT_PREFIX)


def missing_file(folder: Path) -> str | None:
    """The first file a zoo checkpoint folder lacks (data shards included), else None."""
    for required in REQUIRED_FILES:
        if not (folder / required).is_file():
            return required
    shards = sorted((folder / "checkpoint").glob("ckpt-0.data-*-of-*"))
    if not shards:
        return "checkpoint/ckpt-0.data-00000-of-00001"
    count = int(shards[0].name.rsplit("-of-", 1)[1])
    for index in range(count):
        name = f"ckpt-0.data-{index:05d}-of-{count:05d}"
        if not (folder / "checkpoint" / name).is_file():
            return f"checkpoint/{name}"
    return None


def ensure_checkpoint(name: str, url: str, sha256: str | None = None) -> str:
    """The cached checkpoint prefix of archive ``name``, downloading ``url`` on first use."""
    folder = cache_dir() / name
    if folder.is_dir() and missing_file(folder) is None:
        return checkpoint_prefix(name)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with _locked(folder.parent / f".{name}.lock"):
            if folder.is_dir():
                lacking = missing_file(folder)
                if lacking is None:
                    return checkpoint_prefix(name)  # another worker finished it meanwhile
                raise FetchError(f"{folder} lacks {lacking}, so it is not a complete zoo "
                                 f"checkpoint: delete that folder to download {url} again")
            print(f"downloading {url} into {folder}", file=sys.stderr)
            _fetch_into(folder, url, sha256)
    except OSError as exc:
        raise _storage_error(url, folder.parent, exc) from None
    return checkpoint_prefix(name)


def _fetch_into(folder: Path, url: str, sha256: str | None) -> None:
    """Download, check and unpack beside ``folder``; rename into place only at the end."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        archive = tmp / "archive.tar.gz"
        _download(url, archive)
        if sha256 is not None:
            _check_sha256(archive, sha256, url)
        os.rename(_unpack(archive, tmp / "unpacked", folder.name, url), folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download(url: str, target: Path) -> None:
    """Stream ``url`` into ``target``; a short read is an error, never a smaller file."""
    from tqdm import tqdm

    offline = (f"check the network, set {MIRROR_ENV} to a mirror, or unpack the archive "
               f"into {cache_dir()} by hand")  # fmt: skip
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
            length = response.headers.get("Content-Length", "")
            expected = int(length) if length.isdigit() else None
            received = 0
            with open(target, "wb") as out, tqdm(
                total=expected, unit="B", unit_scale=True, disable=None, file=sys.stderr
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"cannot download {url}: HTTP {exc.code} {exc.reason}: check the "
                         f"address ({MIRROR_ENV} sets a mirror's)") from None  # fmt: skip
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot download {url}: {exc.reason}: {offline}") from None
    except TimeoutError:
        raise FetchError(f"cannot download {url}: no data for {_TIMEOUT} s: {offline}") from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"cannot download {url}: the connection closed after "
                         f"{len(exc.partial)} more bytes, before the end: run again") from None
    except (http.client.HTTPException, ConnectionError) as exc:
        raise FetchError(f"cannot download {url}: {type(exc).__name__}: {exc}: run again") from None
    if expected is not None and received != expected:
        raise FetchError(f"cannot download {url}: got {received} of {expected} bytes: "
                         "run again")  # fmt: skip


def _check_sha256(archive: Path, expected: str, url: str) -> None:
    digest = hashlib.sha256()
    with open(archive, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    if digest.hexdigest() != expected.lower():
        raise FetchError(f"{url}: sha256 {digest.hexdigest()} is not the known {expected}: "
                         f"the download is corrupt; run again, or check the mirror")  # fmt: skip


def _unpack(archive: Path, dest: Path, name: str, url: str) -> Path:
    """Unpack safely (no paths outside ``dest``) and return the checked checkpoint folder."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(":")
        raise FetchError(f"{url}: the archive is truncated or corrupt ({reason}): run again, "
                         "or check the mirror") from None  # fmt: skip
    folders = [p for p in dest.iterdir() if p.is_dir()] if dest.is_dir() else []
    top = dest / name if (dest / name).is_dir() else (folders[0] if len(folders) == 1 else None)
    lacking = missing_file(top) if top is not None else CHECKPOINT_PREFIX + ".index"
    if top is None or lacking is not None:
        raise FetchError(f"{url}: not a TF2 zoo checkpoint archive: it lacks {name}/{lacking}")
    return top


def _storage_error(url: str, where: Path, exc: OSError) -> FetchError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FetchError(f"cannot store {url} in {where}: the disk is full: free space there, "
                          f"or set {CACHE_ENV} to a folder on a larger disk")  # fmt: skip
    return FetchError(f"cannot store {url} in {where}: {exc.strerror or exc}: set {CACHE_ENV} "
                      "to a folder you can write")  # fmt: skip
