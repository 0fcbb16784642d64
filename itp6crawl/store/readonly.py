"""What reading an archive needs, without sqlite-utils: the archive errors and a read-only connection.

Kept apart so that ``itp6crawl search`` starts without importing the write side of the store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ArchiveError(Exception):
    """The archive cannot be used: missing, unreadable, or not an itp6crawl archive."""


class ArchiveMissing(ArchiveError, FileNotFoundError):
    """The database file does not exist (nothing has been crawled into it yet)."""


class NotAnArchive(ArchiveError):
    """The file is not SQLite, or a SQLite database of something else: refused before any write."""


class ArchiveTooNew(ArchiveError):
    """The archive was written by a newer release (a migration this one does not know): never written to."""


class ArchiveReadOnly(ArchiveError):
    """The archive file or its folder cannot be written: refused by writing commands before any change."""


@contextmanager
def connect_readonly(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection, closed afterwards; SQLite errors become :class:`ArchiveError`.

    Everything read through it is one snapshot (a read transaction), so a search's count and its page,
    or an export's files, agree with each other while a crawl commits articles beside them."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveMissing(f"no archive at {path}: run `itp6crawl crawl` or `itp6crawl demo` first")
    # A file: URI, properly quoted, so '#' or '?' in a folder name cannot change what is opened.
    connection = sqlite3.connect(path.resolve().as_uri() + readonly_uri_query(path), uri=True)
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("BEGIN")  # the snapshot starts at the first read and lasts until close
        yield connection
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"{path} is not a readable itp6crawl archive: {error}") from error
    finally:
        connection.close()


def readonly_uri_query(path: Path) -> str:
    """The URI parameters that open ``path`` for reading without creating or changing a file beside it.

    ``mode=ro`` reads an archive beside a running crawl (it shares the WAL). An archive that cannot be
    written -- a read-only file or folder, a copy on read-only media -- has no writer to share with, and
    SQLite could not create the WAL index it needs for ``mode=ro``: it is opened ``immutable``, which
    reads the file alone and leaves nothing behind."""
    folder = path.resolve().parent
    if _writable(path, os.W_OK) and _writable(folder, os.W_OK | os.X_OK):
        return "?mode=ro"
    return "?mode=ro&immutable=1"


def _writable(path: Path, mode: int) -> bool:
    """Writable for this process, and meant to be: root may write anything, but a file or folder whose
    mode has no write bit is one its owner made read-only (root reading it must leave nothing beside it)."""
    try:
        return os.access(path, mode) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def matches_up_to(connection: sqlite3.Connection, match: str, at_most: int) -> int:
    """How many rows of the index an FTS5 expression matches, counting up to ``at_most`` (a few pages of
    its rarest posting list, never a whole common one)."""
    return connection.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)", [match, at_most]
    ).fetchone()[0]
