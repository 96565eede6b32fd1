"""Turn the ``storage`` string of a sweep into an Optuna storage.

Why the default is a journal *file* and not SQLite: several local workers (``n_jobs``
or several ``python -m sweep`` processes) write to one study at once. SQLite serialises
writers with a database-wide lock and answers a busy writer with "database is locked";
Optuna's ``JournalStorage`` on a ``JournalFileBackend`` instead appends one JSON line per
operation under a short lock-file critical section and never raises for contention.
``optuna-dashboard <file> --artifact-dir <folder>`` opens it with no set-up. Heartbeats,
which Optuna 5 only has for RDB storages, are added by ``_journal.HeartbeatJournalStorage``.

Accepted strings:

* a path (``outputs/studies/journal.log``): journal file; relative paths are relative to
  the directory the command was started from;
* ``sqlite:///…``, ``postgresql://…``, ``mysql://…`` (any SQLAlchemy URL): ``RDBStorage``;
* ``redis://…``: journal on Redis (needs the ``redis`` package).
"""

from __future__ import annotations

import shlex
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfod_sweep.errors import SweepError

if TYPE_CHECKING:
    from optuna.storages import BaseStorage
    from sqlalchemy.engine import URL

    from hydra_plugins.tfod_optuna_sweeper._storages._journal import StaleCallback

DEFAULT_STORAGE_DIR = "outputs/studies"
DEFAULT_STORAGE = f"{DEFAULT_STORAGE_DIR}/journal.log"
ARTIFACTS_NAME = "artifacts"
_RDB_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql")
_SQLITE_HEADER = b"SQLite format 3\x00"


class StorageError(SweepError):
    """The study's storage string is malformed or the storage cannot be opened."""


@dataclass(frozen=True)
class StorageLocation:
    """Where a study lives, resolved once so every worker and job agrees on it."""

    kind: Literal["journal", "rdb", "redis"]
    target: str
    """Absolute file path (journal) or full URL (rdb, redis)."""
    display: str
    """The target with any password masked, safe to print."""

    @property
    def claim_lock(self) -> Path | None:
        """Local lock file serialising trial creation, or None for server databases."""
        if self.kind == "journal":
            return Path(self.target + ".claim.lock")
        if self.kind == "rdb" and self.target.startswith("sqlite"):
            database = _sqlalchemy_url(self.target).database
            if database and database != ":memory:":
                return Path(database + ".claim.lock")
        return None

    def default_artifact_dir(self, base_dir: Path) -> Path:
        """Where trials' artifacts go when ``artifact_dir`` is not set: beside the storage.

        A journal file or SQLite database gets ``artifacts/`` in its own folder, so the
        storage and its artifacts move together. A server database has no local folder:
        its artifacts go to ``outputs/studies/artifacts`` of the directory the command ran
        in (on several machines, point ``artifact_dir`` at one shared folder instead).
        """
        if self.kind == "journal":
            return Path(self.target).parent / ARTIFACTS_NAME
        lock = self.claim_lock  # an SQLite file: its lock sits beside it
        if lock is not None:
            return lock.parent / ARTIFACTS_NAME
        return base_dir / DEFAULT_STORAGE_DIR / ARTIFACTS_NAME

    def dashboard_command(self, artifact_dir: Path | None = None) -> str:
        """The command that shows this study, and its artifacts, in optuna-dashboard.

        Bound to 127.0.0.1 on purpose: the dashboard can edit notes and delete artifacts,
        so it is not offered to the network (forward the port over SSH to view it remotely).
        """
        words = ["optuna-dashboard", shlex.quote(self.display)]
        if artifact_dir is not None:
            words += ["--artifact-dir", shlex.quote(str(artifact_dir))]
        return " ".join([*words, "--host", "127.0.0.1"])


def resolve_artifact_dir(spec: str | None, location: StorageLocation, base_dir: Path) -> Path:
    """The artifact store's folder: ``spec`` (relative to ``base_dir``) or beside the storage."""
    if spec is None or not str(spec).strip():
        return location.default_artifact_dir(base_dir)
    path = Path(str(spec).strip()).expanduser()
    return path if path.is_absolute() else base_dir / path


def _sqlalchemy_url(url: str) -> URL:
    from sqlalchemy.engine import make_url

    return make_url(url)


def resolve_storage(spec: str | None, base_dir: Path) -> StorageLocation:
    """Classify ``spec`` and make relative file locations absolute against ``base_dir``."""
    spec = (spec or DEFAULT_STORAGE).strip()
    if not spec:
        raise StorageError("storage is empty: give a file path or a database URL")
    if "://" not in spec:
        path = Path(spec).expanduser()
        path = path if path.is_absolute() else base_dir / path
        return StorageLocation("journal", str(path), str(path))
    scheme = spec.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "redis" or scheme == "rediss":
        return StorageLocation("redis", spec, spec.split("@")[-1])
    if scheme not in _RDB_SCHEMES:
        raise StorageError(
            f"unsupported storage scheme '{scheme}://' in {_masked(spec)!r}: use a file path, "
            "sqlite:///, postgresql://, mysql:// or redis://"
        )
    try:
        url = _sqlalchemy_url(spec)
    except Exception as exc:  # sqlalchemy raises ArgumentError on bad URLs
        reason = str(exc).replace(spec, _masked(spec))
        raise StorageError(f"malformed storage URL {_masked(spec)!r}: {reason}") from None
    url = _with_installed_driver(url)
    if scheme == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database).expanduser()
        if not database.is_absolute():
            url = url.set(database=str(base_dir / database))
    return StorageLocation(
        "rdb", url.render_as_string(hide_password=False), url.render_as_string(hide_password=True)
    )


def _masked(spec: str) -> str:
    """``spec`` with the password of its user info shown as ``***`` (for messages)."""
    scheme, sep, rest = spec.partition("://")
    authority = rest.split("/", 1)[0]
    if not sep or "@" not in authority:
        return spec
    userinfo, host = authority.rsplit("@", 1)
    if ":" not in userinfo:
        return spec
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{rest[len(authority):]}"


_DRIVERS = {"postgresql": ("psycopg", "psycopg2"), "mysql": ("MySQLdb", "pymysql")}


def _with_installed_driver(url: URL) -> URL:
    """Name a DB driver that is installed when the URL names none.

    The ``postgres`` extra installs psycopg 3, which SQLAlchemy 2.1 also picks for a bare
    ``postgresql://`` (so Optuna's own tools open the URL as written); naming it keeps an
    older SQLAlchemy (bare means psycopg2 there) working, and psycopg2 serves a venv that
    has only it.
    """
    import importlib.util

    name = "postgresql" if url.drivername == "postgres" else url.drivername
    candidates = _DRIVERS.get(name)
    if candidates is None:
        return url.set(drivername=name)
    for module in candidates:
        if importlib.util.find_spec(module) is not None:
            return url.set(drivername=f"{name}+{module.lower()}")
    return url.set(drivername=name)


def open_storage(
    location: StorageLocation,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    stale_callback: StaleCallback | None = None,
    outage_seconds: float | None = None,
) -> BaseStorage:
    """Open the Optuna storage at ``location``; any failure becomes one StorageError line.

    ``outage_seconds``: how long a server database's calls retry while it is down.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)  # experimental-feature notices
            storage = _open(location, heartbeat_interval, grace_period, stale_callback)
            if outage_seconds is not None and hasattr(storage, "outage_seconds"):
                storage.outage_seconds = float(outage_seconds)
            return storage
    except StorageError:
        raise
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise StorageError(
            f"cannot open storage {location.display}: {type(exc).__name__}: {reason}"
        ) from None


def _open(
    location: StorageLocation,
    heartbeat_interval: int | None,
    grace_period: int | None,
    stale_callback: StaleCallback | None,
) -> BaseStorage:
    import optuna
    from optuna.storages.journal import JournalRedisBackend

    from hydra_plugins.tfod_optuna_sweeper._storages._journal import HeartbeatJournalStorage
    from hydra_plugins.tfod_optuna_sweeper._storages._journal_file import SafeJournalFileBackend

    heartbeat = {
        "heartbeat_interval": heartbeat_interval,
        "grace_period": grace_period if heartbeat_interval else None,
    }
    if location.kind == "journal":
        path = Path(location.target)
        if path.is_dir():
            raise StorageError(f"storage {path} is a directory, expected a journal file")
        if path.is_file():
            with path.open("rb") as fh:
                if fh.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                    raise StorageError(
                        f"storage {path} is an SQLite database: write it as sqlite:///{path}"
                    )
        path.parent.mkdir(parents=True, exist_ok=True)
        return HeartbeatJournalStorage(
            SafeJournalFileBackend(str(path)), stale_callback=stale_callback, **heartbeat
        )
    if location.kind == "redis":
        return HeartbeatJournalStorage(
            JournalRedisBackend(location.target), stale_callback=stale_callback, **heartbeat
        )
    from hydra_plugins.tfod_optuna_sweeper._storages._rdb import ResilientRDBStorage, engine_kwargs

    storage_class: type[optuna.storages.RDBStorage] = optuna.storages.RDBStorage
    options: dict[str, object] = {}
    if location.target.startswith("sqlite"):
        lock = location.claim_lock
        if lock is not None:  # an SQLite file: its folder must exist, like a journal's
            lock.parent.mkdir(parents=True, exist_ok=True)
    else:  # a server: no idle connections, retries through restarts (see _rdb)
        storage_class, options = ResilientRDBStorage, engine_kwargs(location.target)
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    def rdb() -> BaseStorage:
        return storage_class(
            location.target,
            engine_kwargs=options,
            heartbeat_stale_trial_callback=stale_callback if heartbeat_interval else None,
            **heartbeat,
        )

    for delay in (0.5, 1.0):
        try:
            return rdb()
        except (IntegrityError, ProgrammingError):
            # Workers starting together on an empty database race to create Optuna's
            # tables; the loser's DDL is rolled back and a retry finds them in place.
            time.sleep(delay)
    return rdb()
