"""What an archive's search index holds beyond the plain segmented words, as marks a reader checks.

``search_features`` names each feature once its migration has put it into the whole index; a reader
(search, the Datasette and sqlite-utils plugins) uses a feature only on an archive marked with it, and
falls back to what every archive holds otherwise (an older archive opened read-only is never upgraded).

- ``joined_terms``: technical terms (``TPO-RA``, ``CD4+CD25+``, ``10^9/L``) are also single tokens
  (:func:`itp6crawl.text.joined_terms`), so a query asks for one posting list instead of a phrase.
"""

from __future__ import annotations

import sqlite3

JOINED_TERMS = "joined_terms"
SCHEMA = ("CREATE TABLE IF NOT EXISTS search_features (name TEXT PRIMARY KEY, added_at TEXT)",)


def has_feature(connection: sqlite3.Connection, name: str) -> bool:
    """Whether the archive's index holds the feature ``name`` (False on an archive without the marks)."""
    try:
        return connection.execute("SELECT 1 FROM search_features WHERE name = ?", [name]).fetchone() is not None
    except sqlite3.OperationalError:  # no such table: an archive older than the marks
        return False


def mark_feature(connection: sqlite3.Connection, name: str, at: str) -> None:
    connection.execute("INSERT OR IGNORE INTO search_features (name, added_at) VALUES (?, ?)", [name, at])
