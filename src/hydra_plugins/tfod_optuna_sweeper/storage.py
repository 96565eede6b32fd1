"""Public entry to the study storages, for tools that read a study (report, export).

They open the storage exactly as the sweeper does (journal file, SQLite, PostgreSQL,
Redis; passwords masked in every message) without reaching into private modules.
"""

from hydra_plugins.tfod_optuna_sweeper._storages._location import (
    StorageError,
    StorageLocation,
    open_storage,
    resolve_storage,
)

__all__ = ["StorageError", "StorageLocation", "open_storage", "resolve_storage"]
