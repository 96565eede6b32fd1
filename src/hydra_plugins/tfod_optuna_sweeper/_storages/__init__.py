"""Where a study lives: the journal file (default), SQLite, or a server database.

``_location`` resolves what the user wrote into a storage and opens it; ``_journal`` and
``_journal_file`` are the journal file with heartbeats and an flock that a killed worker
cannot leave held; ``_rdb`` is PostgreSQL/MySQL that rides out an outage; ``_secrets``
keeps passwords out of everything Hydra writes. Module names start with ``_`` because
Hydra's plugin scanner executes every public module under ``hydra_plugins``.
"""
