"""What reading an archive needs, without sqlite-utils: the archive errors and a read-only connection.

Kept apart so that ``itp6crawl search`` starts without importing the write side of the store.
"""

from __future__ import annotations

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


@contextmanager
def connect_readonly(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection, closed afterwards; SQLite errors become :class:`ArchiveError`.

    Everything read through it is one snapshot (a read transaction), so a search's count and its page,
    or an export's files, agree with each other while a crawl commits articles beside them."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveMissing(f"no archive at {path}: run `itp6crawl crawl` or `itp6crawl demo` first")
    # A file: URI, properly quoted, so '#' or '?' in a folder name cannot change what is opened.
    connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("BEGIN")  # the snapshot starts at the first read and lasts until close
        yield connection
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"{path} is not a readable itp6crawl archive: {error}") from error
    finally:
        connection.close()
