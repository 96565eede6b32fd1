"""Find the image file an annotation names, however the labelling tool's OS wrote it.

Exports made on Windows hold backslashes, drive letters, and names whose letter case
differs from the file on disk (Windows does not care, Linux does). The CSV and YOLO
readers look images up here so that all of these still find the file.
"""

from __future__ import annotations

import os


def portable(written: str) -> str:
    """``written`` with Windows separators as ``/`` and surrounding blanks removed."""
    return written.strip().replace("\\", "/")


def is_windows_absolute(path: str) -> bool:
    """True for ``C:/...`` (after ``portable``): a path from another machine, not this one."""
    return len(path) > 2 and path[0].isalpha() and path[1] == ":" and path[2] == "/"


class ImageFinder:
    """Looks files up by name, case-insensitively when the exact name is missing.

    Folder listings are cached for the finder's life (one conversion), because a
    CSV names each image once per box.
    """

    def __init__(self) -> None:
        self._listings: dict[str, dict[str, list[str]]] = {}

    def find(self, base_dir: str, written: str) -> str | None:
        """The existing file ``written`` names relative to ``base_dir``, else None.

        Tried in order: the path as written; a Windows absolute path's file name in
        ``base_dir`` (the export moved machines); each with another letter case.
        """
        name = portable(written)
        if not name:
            return None
        candidates = []
        if not is_windows_absolute(name):
            candidates.append(name if os.path.isabs(name) else os.path.join(base_dir, name))
        candidates.append(os.path.join(base_dir, name.rsplit("/", 1)[-1]))
        for path in candidates:
            found = self._any_case(os.path.normpath(path))
            if found is not None:
                return found
        return None

    def _any_case(self, path: str) -> str | None:
        if os.path.isfile(path):
            return path
        folder, base = os.path.split(path)
        matches = self._listing(folder).get(base.lower(), [])
        return os.path.join(folder, matches[0]) if len(matches) == 1 else None

    def _listing(self, folder: str) -> dict[str, list[str]]:
        if folder not in self._listings:
            try:
                names = os.listdir(folder or ".")
            except OSError:
                names = []
            listing: dict[str, list[str]] = {}
            for entry in names:
                listing.setdefault(entry.lower(), []).append(entry)
            self._listings[folder] = listing
        return self._listings[folder]
