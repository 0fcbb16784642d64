"""Crawl state: what the crawler remembers of each URL between runs.

``crawl_state`` holds, per canonical URL, the validators of the last response (ETag, Last-Modified),
the sitemap ``lastmod`` seen with it, the content hash, the last status and times, and where in
which WARC file the last response lies: enough to skip or revalidate a page instead of fetching it.
The runs themselves are logged by :mod:`.runlog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .rows import upsert_row, write_transaction


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
