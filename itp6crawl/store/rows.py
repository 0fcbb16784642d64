"""Row writes with plain SQL, for the store's hot path.

A crawl saves an article in a handful of statements, each prepared once by sqlite3 and then reused
from its statement cache. sqlite-utils' ``insert``, ``update`` and ``upsert`` read the table's schema
on every call, which was a third of the time of a save. Column and table names come from this
package's code, never from a page.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils


def insert_row(db: sqlite_utils.Database, table: str, record: dict[str, Any]) -> None:
    columns = ", ".join(f'"{column}"' for column in record)
    db.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(record))})', list(record.values()))


def update_row(db: sqlite_utils.Database, table: str, key: str, record: dict[str, Any]) -> None:
    """Update the row whose ``key`` column equals ``record[key]`` with the other values of ``record``."""
    values = {column: value for column, value in record.items() if column != key}
    assignments = ", ".join(f'"{column}" = ?' for column in values)
    db.execute(f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?', [*values.values(), record[key]])


def upsert_row(db: sqlite_utils.Database, table: str, key: str, record: dict[str, Any]) -> None:
    """Insert ``record``, or set its values on the row with the same ``key`` (other columns kept)."""
    columns = ", ".join(f'"{column}"' for column in record)
    updates = ", ".join(f'"{column}" = excluded."{column}"' for column in record if column != key)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    db.execute(
        f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(record))}) ON CONFLICT("{key}") {conflict}',
        list(record.values()),
    )
