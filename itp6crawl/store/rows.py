"""Row writes with plain SQL, and the write transaction, for the store's hot path.

A crawl saves an article in a handful of statements, each prepared once by sqlite3 and then reused
from its statement cache. sqlite-utils' ``insert``, ``update`` and ``upsert`` read the table's schema
on every call, which was a third of the time of a save. Column and table names come from this
package's code, never from a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils


def _insert_sql(table: str, record: dict[str, Any]) -> str:
    columns = ", ".join(f'"{column}"' for column in record)
    return f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(record))})'


def insert_row(db: sqlite_utils.Database, table: str, record: dict[str, Any]) -> None:
    db.execute(_insert_sql(table, record), list(record.values()))


def update_row(db: sqlite_utils.Database, table: str, key: str, record: dict[str, Any]) -> None:
    """Update the row whose ``key`` column equals ``record[key]`` with the other values of ``record``."""
    values = {column: value for column, value in record.items() if column != key}
    assignments = ", ".join(f'"{column}" = ?' for column in values)
    db.execute(f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?', [*values.values(), record[key]])


def upsert_row(db: sqlite_utils.Database, table: str, key: str, record: dict[str, Any]) -> None:
    """Insert ``record``, or set its values on the row with the same ``key`` (other columns kept)."""
    updates = ", ".join(f'"{column}" = excluded."{column}"' for column in record if column != key)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    db.execute(f'{_insert_sql(table, record)} ON CONFLICT("{key}") {conflict}', list(record.values()))


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One transaction for everything inside, holding the write lock from its start.

    Not ``with conn:``: that opens no transaction before the first write, so each sqlite-utils insert
    inside committed on its own, and a kill between them left an article without its crawl state. And
    BEGIN IMMEDIATE, not sqlite-utils' ``atomic()`` (a plain BEGIN): a transaction that has read cannot
    wait for another process's write lock (SQLite refuses the upgrade at once, busy timeout or not),
    while BEGIN IMMEDIATE waits it out. Inside a caller's transaction it is a savepoint."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        with db.atomic():  # a savepoint: sqlite-utils' own inserts nest inside
            yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
