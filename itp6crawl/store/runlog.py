"""The run log: one ``crawl_runs`` row per crawl, its counts taken from Scrapy's stats, and one
``failures`` row per page that could not be archived, with the reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlite_utils

from ..counters import RUN_COUNT_COLUMNS
from ..times import iso
from .rows import write_transaction

_CLOSE_KILLED_RUNS = """
    UPDATE crawl_runs SET finish_reason = 'killed', exit_status = 137
    WHERE finished_at IS NULL AND finish_reason IS NULL
"""


class RunLog:
    """One ``crawl_runs`` row per run, and ``failures``."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def begin(self, site: str, started_at: datetime, *, full: bool = False) -> int:
        """Record the start of a crawl; return its run id. Runs left unfinished by a killed process
        are closed as 'killed' first (a lock guarantees no other run is going on)."""
        with self.db.conn:
            self.db.execute(_CLOSE_KILLED_RUNS)
            table = self.db.table("crawl_runs").insert({"site": site, "started_at": iso(started_at), "full": int(full)})
        return int(table.last_pk)

    def finish(
        self,
        run_id: int,
        finished_at: datetime,
        *,
        reason: str,
        exit_status: int,
        counts: dict[str, int],
        stats: dict[str, Any],
        error: str | None = None,
        warc_file: str | None = None,
    ) -> dict[str, Any]:
        """Record how a crawl ended; return the row (what the CLI prints)."""
        record: dict[str, Any] = {
            "finished_at": iso(finished_at),
            "finish_reason": reason,
            "exit_status": exit_status,
            "error": error,
            "warc_file": warc_file,
            "stats": json.dumps(stats, ensure_ascii=False, default=str),
            **{column: int(counts.get(column, 0)) for column in RUN_COUNT_COLUMNS},
        }
        with self.db.conn:
            self.db.table("crawl_runs").update(run_id, record)
        return self.db.table("crawl_runs").get(run_id)

    def previous_complete(self, before: int) -> bool:
        """Whether the run before ``before`` finished normally (else the next one re-reads every listing)."""
        row = self.db.execute(
            "SELECT finish_reason FROM crawl_runs WHERE id < ? ORDER BY id DESC LIMIT 1", [before]
        ).fetchone()
        return bool(row) and row[0] == "finished"

    def spans(self) -> list[tuple[int, str | None, str | None, str | None]]:
        """Every run's id, site, start and end (None for a run killed before it ended), oldest first."""
        return self.db.execute("SELECT id, site, started_at, finished_at FROM crawl_runs ORDER BY id").fetchall()

    def record_failure(
        self, run_id: int | None, url: str, reason: str, at: datetime, status: int | None = None
    ) -> None:
        """Remember a page that could not be archived, and why; archived data stays untouched."""
        with write_transaction(self.db):
            self.db.table("failures").insert(
                {"run_id": run_id, "url": url, "status": status, "reason": reason, "at": iso(at)}
            )
