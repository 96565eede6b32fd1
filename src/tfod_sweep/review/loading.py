"""Open a located study's storage read-only and load the study, for the report and export.

Both CLIs read a study the same way, so the rules live here once: a journal or SQLite
file must exist (a reader never creates a storage), an unreadable storage is one
`SweepError` line with any password masked, and a study name is chosen as
`review.source` describes.

Why the storage module comes in as an argument: the sweeper plugin owns storage strings
(journal file, PostgreSQL driver choice, masked display), and the library never imports
the plugin. The CLIs pass the plugin's public `storage` module, as the app passes the
trial handle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tfod_sweep.errors import SweepError
from tfod_sweep.review.source import StudySource

if TYPE_CHECKING:
    import optuna


class Location(Protocol):
    """A resolved storage, as the plugin's `resolve_storage` returns it."""

    @property
    def kind(self) -> str: ...

    @property
    def target(self) -> str:
        """Absolute journal path or full database URL."""

    @property
    def display(self) -> str:
        """The target with any password masked."""


class Storages(Protocol):
    """What the loader needs from the plugin's `storage` module."""

    def resolve_storage(self, spec: str | None, base_dir: Path) -> Any: ...

    def open_storage(self, location: Any) -> Any: ...


def _masked(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def _check_file(location: Location, guessed: bool) -> bool:
    """False when a guessed journal is absent; raise when a named file is absent."""
    from sqlalchemy.engine import make_url

    if location.kind == "journal" and not Path(location.target).is_file():
        if guessed:
            return False
        raise SweepError(f"storage {location.display}: no such journal file")
    database = make_url(location.target).database if location.kind == "rdb" else None
    if location.target.startswith("sqlite") and database and not Path(database).is_file():
        raise SweepError(f"storage {location.display}: no such SQLite file")
    return True


def _study_names(storages: Storages, location: Location) -> tuple[Any, list[str]]:
    """The opened storage and the names of its studies, or one masked error line."""
    from sqlalchemy.engine import make_url

    secret = make_url(location.target).password if location.kind == "rdb" else None
    try:
        backend = storages.open_storage(location)
        names = sorted(summary.study_name for summary in backend.get_all_studies())
    except SweepError:
        raise
    except Exception as error:  # a database that does not answer or is not Optuna's
        reason = (str(error).strip().splitlines() or [""])[0]
        raise SweepError(_masked(f"cannot read storage {location.display}: "
                                 f"{type(error).__name__}: {reason}", secret)) from None
    return backend, names


def load_study(source: StudySource,
               storages: Storages) -> tuple[optuna.Study, str] | None:
    """Open the storage read-only and load the study: (study, storage as shown).

    Returns None when a guessed storage (rule 3 of `review.source`) lacks the study.
    """
    import optuna

    location: Location = storages.resolve_storage(source.storage, source.base_dir)
    if not _check_file(location, source.guessed):
        return None
    backend, names = _study_names(storages, location)
    name = source.study_name
    if name is None:
        hint = source.study_dir.resolve().name if source.study_dir is not None else None
        name = hint if hint in names else (names[0] if len(names) == 1 else None)
        if name is None:
            raise SweepError(f"which study? pass --study; storage {location.display} holds: "
                             f"{', '.join(names) or 'no study'}")
    if name not in names:
        if source.guessed:
            return None
        where = f"studies there: {', '.join(names)}" if names else "it holds no study"
        raise SweepError(f"study {name!r} not found in storage {location.display}; {where}")
    study = optuna.load_study(study_name=name, storage=backend,
                              sampler=optuna.samplers.RandomSampler())
    return study, location.display
