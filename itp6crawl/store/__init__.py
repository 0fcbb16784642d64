"""The archive: one SQLite file and every write to it (sqlite-utils).

- ``schema``: the schema declared once, its migrations, and the checks made before opening a file;
- ``content``: what an article's content is, and its hash;
- ``articles``: article writes (versions, links, comments, gone marks);
- ``crawlstate``: per-URL crawl state;
- ``runlog``: the run log (``crawl_runs``, ``failures``);
- ``readonly``: the archive errors and a read-only connection, without sqlite-utils;
- ``reports``: read-only reports (runs, stats).
:class:`Archive` opens the file and hands out the three writers.

The names below are imported on first use, so a reader (``itp6crawl search``) that needs only
``readonly`` never pays for sqlite-utils.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..records import Segments
    from .archive import Archive
    from .articles import Articles, Outcome, PoorerThanArchived, Source
    from .content import CONTENT_COLUMNS, content_hash, content_hash_of_row
    from .crawlstate import CrawlState, UrlState
    from .lock import ArchiveBusy, ArchiveLock
    from .readonly import ArchiveError, ArchiveMissing, ArchiveReadOnly, ArchiveTooNew, NotAnArchive
    from .runlog import RunLog
    from .schema import (
        APPLICATION_ID,
        FTS_COLUMNS,
        SCHEMA_VERSION,
        ArchiveIdentity,
        check_archive_file,
        check_writable,
        migrations,
        open_database,
    )

_HOMES = {
    "Segments": "..records",
    "Archive": ".archive",
    **dict.fromkeys(("Articles", "Outcome", "PoorerThanArchived", "Source"), ".articles"),
    **dict.fromkeys(("CONTENT_COLUMNS", "content_hash", "content_hash_of_row"), ".content"),
    **dict.fromkeys(("CrawlState", "UrlState"), ".crawlstate"),
    **dict.fromkeys(("ArchiveBusy", "ArchiveLock"), ".lock"),
    **dict.fromkeys(
        ("ArchiveError", "ArchiveMissing", "ArchiveReadOnly", "ArchiveTooNew", "NotAnArchive"), ".readonly"
    ),
    "RunLog": ".runlog",
    **dict.fromkeys(
        (
            "APPLICATION_ID",
            "FTS_COLUMNS",
            "SCHEMA_VERSION",
            "ArchiveIdentity",
            "check_archive_file",
            "check_writable",
            "migrations",
            "open_database",
        ),
        ".schema",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "APPLICATION_ID",
    "CONTENT_COLUMNS",
    "FTS_COLUMNS",
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveBusy",
    "ArchiveError",
    "ArchiveIdentity",
    "ArchiveLock",
    "ArchiveMissing",
    "ArchiveReadOnly",
    "ArchiveTooNew",
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
    "check_writable",
    "content_hash",
    "content_hash_of_row",
    "migrations",
    "open_database",
]
