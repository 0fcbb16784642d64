"""The archive: one SQLite file and every write to it (sqlite-utils).

- ``schema``: the schema declared once, its migrations, and the checks made before opening a file;
- ``content``: what an article's content is, and its hash;
- ``articles``: article writes (versions, links, comments, gone marks);
- ``crawlstate``: per-URL crawl state and the run log (``crawl_runs``, ``failures``).
:class:`Archive` opens the file and hands out the three.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ..models import Segments
from .articles import Articles, Outcome, PoorerThanArchived, Source
from .content import CONTENT_COLUMNS, content_hash, content_hash_of_row
from .crawlstate import CrawlState, RunLog, UrlState
from .lock import ArchiveBusy, ArchiveLock
from .schema import (
    FTS_COLUMNS,
    SCHEMA_VERSION,
    ArchiveError,
    ArchiveMissing,
    NotAnArchive,
    check_archive_file,
    migrations,
    open_database,
)


class Archive:
    """The SQLite archive. Open it with :meth:`open`; use as a context manager to close it."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.articles = Articles(db)
        self.state = CrawlState(db)
        self.runs = RunLog(db)

    @classmethod
    def open(cls, path: str | Path) -> Archive:
        """Open the archive at ``path``, creating it (and its folders) or upgrading it as needed.

        Raises :class:`NotAnArchive` for a file that is not one, before anything is written to it."""
        return cls(open_database(Path(path)))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = [
    "CONTENT_COLUMNS",
    "FTS_COLUMNS",
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveBusy",
    "ArchiveError",
    "ArchiveLock",
    "ArchiveMissing",
    "Articles",
    "CrawlState",
    "NotAnArchive",
    "Outcome",
    "PoorerThanArchived",
    "RunLog",
    "Segments",
    "Source",
    "UrlState",
    "check_archive_file",
    "content_hash",
    "content_hash_of_row",
    "migrations",
    "open_database",
]
