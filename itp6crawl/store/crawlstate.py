"""Crawl state and the run log: what the crawler remembers between runs.

``crawl_state`` holds, per canonical URL, the validators of the last response (ETag, Last-Modified),
the sitemap ``lastmod`` seen with it, the content hash, the last status and times, and where in
which WARC file the last response lies: enough to skip or revalidate a page instead of fetching it.
``crawl_runs`` holds one row per run, its counts taken from Scrapy's stats, and ``failures`` one
row per page that could not be archived, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from ..times import iso
from .rows import upsert_row, write_transaction
from .schema import RUN_COUNT_COLUMNS


@dataclass(slots=True)
class UrlState:
    url: str
    post_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None
    content_hash: str | None = None
    status: int | None = None
    fetched_at: str | None = None
    changed_at: str | None = None
    in_sitemap: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None


_STATE_FIELDS = tuple(UrlState.__slots__)  # type: ignore[attr-defined]


class CrawlState:
    """Per-URL crawl state (read by the conditional-request middleware, written after each response)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def get(self, url: str) -> UrlState | None:
        row = self.db.execute(f"SELECT {', '.join(_STATE_FIELDS)} FROM crawl_state WHERE url = ?", [url]).fetchone()
        return UrlState(*row) if row else None

    def record(self, url: str, **fields: Any) -> None:
        """Upsert the given fields of ``url``'s state (others keep their values), in its own transaction
        (a savepoint in the caller's)."""
        with write_transaction(self.db):
            self.write(url, **fields)

    def write(self, url: str, **fields: Any) -> None:
        """Upsert inside the caller's transaction."""
        unknown = set(fields) - set(_STATE_FIELDS)
        if unknown:
            raise ValueError(f"unknown crawl state fields: {sorted(unknown)}")
        upsert_row(self.db, "crawl_state", "url", {"url": url, **fields})

    def unfetched_link_targets(self) -> list[str]:
        """Posts that archived articles link to (related, previous, next) but that were never fetched:
        after a run that stopped early, the only way to them may be a page the next run need not read
        again (a post outside sitemaps and listings, linked from an unchanged post)."""
        rows = self.db.execute(
            """
            SELECT DISTINCT links.dst_url FROM links
            WHERE links.dst_id IS NULL AND NOT EXISTS (SELECT 1 FROM crawl_state WHERE crawl_state.url = links.dst_url)
            ORDER BY links.dst_url
            """
        ).fetchall()
        return [url for (url,) in rows]

    def posts_to_recheck(self, listed: set[str], stale_before: str) -> list[str]:
        """Live posts the sitemaps no longer list, to learn whether they are gone: those the last run
        found in a sitemap (they just left it), and the posts outside every sitemap whose last check is
        older than ``stale_before`` (so they are revalidated now and then, not on every run)."""
        rows = self.db.execute(
            """
            SELECT articles.url, crawl_state.in_sitemap, crawl_state.fetched_at
            FROM articles LEFT JOIN crawl_state ON crawl_state.url = articles.url
            WHERE articles.status = 'live' ORDER BY articles.id
            """
        ).fetchall()
        return [
            url
            for url, in_sitemap, fetched_at in rows
            if url not in listed and (in_sitemap or fetched_at is None or fetched_at < stale_before)
        ]


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

    def record_failure(
        self, run_id: int | None, url: str, reason: str, at: datetime, status: int | None = None
    ) -> None:
        """Remember a page that could not be archived, and why; archived data stays untouched."""
        with write_transaction(self.db):
            self.db.table("failures").insert(
                {"run_id": run_id, "url": url, "status": status, "reason": reason, "at": iso(at)}
            )
