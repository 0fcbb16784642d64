"""Rebuilding an archive in a copy that replaces it only when the rebuild is complete.

``reindex`` writes into ``<db>.reindex``: a consistent copy of the archive (SQLite's backup API, not a
file copy that could tear), or a new file. If the rebuild fails or is interrupted the copy is deleted
and the archive is as it was; if it completes, the copy is checkpointed and moved over the archive in
one rename.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .archive import Archive


@contextmanager
def rebuilt_in_copy(db: Path) -> Iterator[Archive]:
    """The archive at ``db`` (or a new one) opened in a copy; on a clean exit the copy replaces it."""
    building = db.with_name(db.name + ".reindex")
    _remove(building)  # a copy left by a rebuild that was killed
    if db.exists():
        _copy_database(db, building)
    try:
        with Archive.open(building) as archive:
            yield archive
            archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        _remove(building)
        raise
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.replace(building, db)


def _copy_database(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _remove(path: Path) -> None:
    for name in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        name.unlink(missing_ok=True)
