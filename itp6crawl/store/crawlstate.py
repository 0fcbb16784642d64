"""Crawl state: what the crawler remembers of each URL between runs.

``crawl_state`` holds, per canonical URL, the validators of the last response (ETag, Last-Modified),
the sitemap ``lastmod`` seen with it, the content hash, the last status and times, and where in
which WARC file the last response lies: enough to skip or revalidate a page instead of fetching it.
The runs themselves are logged by :mod:`.runlog`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from ..revisit import PostHistory
from ..times import iso, parse_iso
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
    first_fetched_at: str | None = None
    checks: int | None = None
    changes: int | None = None
    signalled_at: str | None = None
    signal: str | None = None


_STATE_FIELDS = tuple(UrlState.__slots__)  # type: ignore[attr-defined]


class CrawlState:
    """Per-URL crawl state (read by the conditional-request middleware, written after each response)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def get(self, url: str) -> UrlState | None:
        row = self.db.execute(f"SELECT {', '.join(_STATE_FIELDS)} FROM crawl_state WHERE url = ?", [url]).fetchone()
        return UrlState(*row) if row else None

    def record(self, url: str, *, observed: bool = False, **fields: Any) -> None:
        """Upsert the given fields of ``url``'s state (others keep their values), in its own transaction
        (a savepoint in the caller's); ``observed``: the response showed the page unchanged (a 304), one
        more re-read in its history."""
        with write_transaction(self.db):
            self.write(url, **fields)
            if observed:
                self.observe(url, compared=True, changed=False)

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

    # -- the revisit policy's history ------------------------------------------------------------------

    def observe(self, url: str, *, compared: bool, changed: bool) -> None:
        """Count one readable fetch of ``url`` in its history (inside the caller's transaction, after
        :meth:`write` stored its ``fetched_at``): a re-read that was ``compared`` with the archived
        version, and whether it found a change. Whatever a signal named is read now."""
        self.db.execute(
            """
            UPDATE crawl_state SET
                first_fetched_at = coalesce(first_fetched_at, fetched_at),
                checks = coalesce(checks, 0) + ?,
                changes = coalesce(changes, 0) + ?,
                signalled_at = NULL,
                signal = NULL
            WHERE url = ?
            """,
            [int(compared), int(compared and changed), url],
        )

    def histories(self) -> list[PostHistory]:
        """The history of every live archived post, in id order."""
        rows = self.db.execute(
            """
            SELECT articles.url, articles.published_at, crawl_state.first_fetched_at, crawl_state.fetched_at,
                   coalesce(crawl_state.checks, 0), coalesce(crawl_state.changes, 0), crawl_state.signalled_at,
                   crawl_state.signal
            FROM articles LEFT JOIN crawl_state ON crawl_state.url = articles.url
            WHERE articles.status = 'live' ORDER BY articles.id
            """
        ).fetchall()
        return [
            PostHistory(
                url,
                parse_iso(published or ""),
                parse_iso(first or ""),
                parse_iso(fetched or ""),
                checks,
                changes,
                parse_iso(signalled or ""),
                signal,
            )
            for url, published, first, fetched, checks, changes, signalled, signal in rows
        ]

    def signal(self, signals: Mapping[str, str], at: datetime) -> None:
        """Remember that a signal named each archived URL of ``signals`` (URL -> which signal) at ``at``,
        so a run whose budget ends first leaves it for the next."""
        with write_transaction(self.db):
            self.db.conn.executemany(
                "UPDATE crawl_state SET signalled_at = ?, signal = ? WHERE url = ?",
                [(iso(at), reason, url) for url, reason in signals.items()],
            )

    def mark(self, name: str) -> str | None:
        """A mark the change signals are read back to (``modified``, ``comment``, ``feed_orderby``)."""
        row = self.db.execute("SELECT value FROM crawl_marks WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def set_marks(self, marks: Mapping[str, str | None], at: datetime) -> None:
        with write_transaction(self.db):
            for name, value in marks.items():
                if value is not None:
                    upsert_row(self.db, "crawl_marks", "name", {"name": name, "value": value, "updated_at": iso(at)})

    def newest_comment_id(self) -> int | None:
        """The newest WordPress comment id archived (the comments feed is read back to it)."""
        row = self.db.execute("SELECT max(comment_id) FROM comments").fetchone()
        return row[0] if row and row[0] is not None else None

    def newest_modified(self) -> str | None:
        """The newest modification time of an archived article (the site's clock)."""
        row = self.db.execute("SELECT max(modified_at) FROM articles").fetchone()
        return row[0] if row else None
