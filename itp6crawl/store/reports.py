"""Read-only reports on an archive: the last runs, and what the archive holds.

Opened read-only, so a report can run beside a crawl and never writes to the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..counters import RUN_COUNT_COLUMNS
from .readonly import connect_readonly

RUN_COLUMNS = ("id", "started_at", "finished_at", "finish_reason", "exit_status", *RUN_COUNT_COLUMNS, "error")
COUNTED_TABLES = ("articles", "article_versions", "links", "comments", "crawl_runs", "failures")


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def recent_runs(path: str | Path, limit: int = 10) -> list[dict[str, Any]]:
    """The last ``limit`` crawl runs, newest first (archives of 0.1.0 show the columns they have)."""
    with connect_readonly(path) as connection:
        present = _columns(connection, "crawl_runs")
        columns = [column for column in RUN_COLUMNS if column in present]
        rows = connection.execute(
            f"SELECT {', '.join(columns)} FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
    return [dict(row) for row in rows]


def table_counts(path: str | Path) -> dict[str, int]:
    """Rows in each of the archive's own tables (articles, versions, links, comments, runs, failures)."""
    with connect_readonly(path) as connection:
        return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}


def archive_stats(path: str | Path) -> dict[str, Any]:
    """What the archive holds: articles by status, category and month, the latest run, failures by reason."""
    with connect_readonly(path) as connection:
        by_status = dict(
            connection.execute("SELECT status, COUNT(*) FROM articles GROUP BY status ORDER BY status").fetchall()
        )
        by_category = connection.execute(
            """
            SELECT value AS category, COUNT(*) AS articles
            FROM articles, json_each(articles.categories)
            WHERE articles.status = 'live'
            GROUP BY value ORDER BY articles DESC, category
            """
        ).fetchall()
        by_month = connection.execute(
            """
            SELECT substr(published_at, 1, 7) AS month, COUNT(*) AS articles
            FROM articles WHERE published_at IS NOT NULL AND status = 'live'
            GROUP BY month ORDER BY month DESC LIMIT 24
            """
        ).fetchall()
        failures = connection.execute(
            """
            SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1) ELSE reason END
                   AS reason, COUNT(*) AS failures
            FROM failures GROUP BY 1 ORDER BY failures DESC LIMIT 20
            """
        ).fetchall()
    runs = recent_runs(path, 1)
    return {
        "totals": table_counts(path),
        "articles_by_status": by_status,
        "articles_by_category": [dict(row) for row in by_category],
        "articles_by_month": [dict(row) for row in by_month],
        "latest_run": runs[0] if runs else None,
        "failures_by_reason": [dict(row) for row in failures],
    }


def revisit_facts(path: str | Path) -> dict[str, Any]:
    """What the revisit plan needs of an archive, read-only: every live post's history, the signal marks,
    how many post sitemaps the last run read, and the plan statistics of the last finished run."""
    import json

    import sqlite_utils

    from .crawlstate import CrawlState
    from .readonly import ArchiveError

    with connect_readonly(path) as connection:
        if "signalled_at" not in _columns(connection, "crawl_state"):
            raise ArchiveError(f"{path} was written by an earlier release: its next crawl upgrades it, then plan works")
        state = CrawlState(sqlite_utils.Database(connection))
        histories = state.histories()
        marks = {name: state.mark(name) for name in ("modified", "comment", "feed_orderby")}
        row = connection.execute(
            "SELECT id, started_at, stats FROM crawl_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
    last_run = None
    if row is not None:
        last_run = {"id": row["id"], "started_at": row["started_at"], "stats": json.loads(row["stats"] or "{}")}
    return {"histories": histories, "marks": marks, "last_run": last_run}
