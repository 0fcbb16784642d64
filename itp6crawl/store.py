"""The archive: one SQLite file, its schema, and every write to it (sqlite-utils).

An article is keyed by its WordPress post id. A re-crawl updates it in place when its content is
unchanged; when the content changed, the previous version moves to ``article_versions`` first, so
nothing archived is ever overwritten away. Links and comments are replaced by the latest page's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
from sqlite_utils.db import NotFoundError, Table

from .models import Article, iso, post_id_from_url, same_site

SCHEMA_VERSION = 1
FTS_COLUMNS = ["title_seg", "body_seg", "search_extra"]
# Columns whose change makes a new version; counts (views, likes) and comments do not.
CONTENT_COLUMNS = (
    "url",
    "title",
    "author",
    "credit",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "summary",
    "body_text",
    "body_html",
    "images",
)
VERSIONED_COLUMNS = (*CONTENT_COLUMNS, "extractor", "content_hash", "fetched_at", "changed_at")

Outcome = Literal["new", "changed", "unchanged"]

_ARTICLE_COLUMNS: dict[str, type] = {
    "id": int,
    "url": str,
    "title": str,
    "author": str,
    "credit": str,
    "published_at": str,
    "modified_at": str,
    "categories": str,
    "tags": str,
    "summary": str,
    "body_text": str,
    "body_html": str,
    "images": str,
    "views": int,
    "likes": int,
    "title_seg": str,
    "body_seg": str,
    "search_extra": str,
    "content_hash": str,
    "extractor": str,
    "status": str,
    "first_seen_at": str,
    "fetched_at": str,
    "changed_at": str,
}


@dataclass(slots=True)
class Segments:
    """The search columns of an article, made by the segment pipeline."""

    title_seg: str = ""
    body_seg: str = ""
    search_extra: str = ""


def content_hash(article: Article) -> str:
    """SHA-256 over the content columns, stable across runs."""
    return _hash(_content_record(article))


def _hash(record: dict[str, Any]) -> str:
    payload = json.dumps([record[c] for c in CONTENT_COLUMNS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _content_record(article: Article) -> dict[str, Any]:
    return {
        "url": article.url,
        "title": article.title,
        "author": article.author,
        "credit": article.credit,
        "published_at": article.published_at,
        "modified_at": article.modified_at,
        "categories": _json(article.categories),
        "tags": _json(article.tags),
        "summary": article.summary,
        "body_text": article.body_text,
        "body_html": article.body_html,
        "images": _json([asdict(image) for image in article.images]),
    }


class Archive:
    """The SQLite archive. Open it with :meth:`open`; use as a context manager to close it."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | Path) -> Archive:
        """Open (creating file, folders and schema as needed) the archive at ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the file; a power cut may lose only the last commits.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        archive = cls(db)
        archive.ensure_schema()
        return archive

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def articles(self) -> Table:
        return self.db.table("articles")

    # -- schema -------------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create the public schema where missing (idempotent)."""
        db = self.db
        with db.conn:
            db.table("articles").create(_ARTICLE_COLUMNS, pk="id", not_null={"url"}, if_not_exists=True)
            db.table("articles").create_index(["url"], unique=True, if_not_exists=True)
            db.table("articles").create_index(["published_at"], if_not_exists=True)
            db.table("links").create(
                {"src_id": int, "kind": str, "position": int, "dst_url": str, "dst_id": int, "title": str, "date": str},
                pk=("src_id", "kind", "position"),
                foreign_keys=[("src_id", "articles", "id")],
                if_not_exists=True,
            )
            db.table("links").create_index(["dst_url"], if_not_exists=True)
            db.table("comments").create(
                {
                    "article_id": int,
                    "position": int,
                    "comment_id": int,
                    "parent_id": int,
                    "author": str,
                    "time": str,
                    "text": str,
                },
                pk=("article_id", "position"),
                foreign_keys=[("article_id", "articles", "id")],
                if_not_exists=True,
            )
            versions = {"article_id": int, "version": int, "archived_at": str}
            versions.update({column: _ARTICLE_COLUMNS[column] for column in VERSIONED_COLUMNS})
            db.table("article_versions").create(
                versions,
                pk=("article_id", "version"),
                foreign_keys=[("article_id", "articles", "id")],
                if_not_exists=True,
            )
            db.table("crawl_runs").create(
                {
                    "id": int,
                    "site": str,
                    "started_at": str,
                    "finished_at": str,
                    "finish_reason": str,
                    "pages": int,
                    "articles_new": int,
                    "articles_changed": int,
                    "articles_unchanged": int,
                    "failures": int,
                    "fallbacks": int,
                    "stats": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("failures").create(
                {"id": int, "run_id": int, "url": str, "status": int, "reason": str, "at": str},
                pk="id",
                foreign_keys=[("run_id", "crawl_runs", "id")],
                if_not_exists=True,
            )
            db.table("failures").create_index(["url"], if_not_exists=True)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if not self.articles.detect_fts():
            self.articles.enable_fts(FTS_COLUMNS, fts_version="FTS5", create_triggers=True)

    # -- runs and failures --------------------------------------------------------------------------

    def begin_run(self, site: str, started_at: datetime) -> int:
        """Record the start of a crawl; return its run id."""
        with self.db.conn:
            table = self.db.table("crawl_runs").insert({"site": site, "started_at": iso(started_at)})
        return int(table.last_pk)

    def finish_run(
        self, run_id: int, finished_at: datetime, reason: str, counts: dict[str, int], stats: dict[str, Any]
    ) -> None:
        """Record how a crawl ended, with its counts and Scrapy's stats."""
        record = {
            "finished_at": iso(finished_at),
            "finish_reason": reason,
            "stats": json.dumps(stats, ensure_ascii=False, default=str),
            **counts,
        }
        with self.db.conn:
            self.db.table("crawl_runs").update(run_id, record)

    def record_failure(
        self, run_id: int | None, url: str, reason: str, at: datetime, status: int | None = None
    ) -> None:
        """Remember a page that could not be archived, and why; archived data stays untouched."""
        with self.db.conn:
            self.db.table("failures").insert(
                {"run_id": run_id, "url": url, "status": status, "reason": reason, "at": iso(at)}
            )

    # -- articles -----------------------------------------------------------------------------------

    def save_article(self, article: Article, segments: Segments, fetched_at: datetime) -> Outcome:
        """Insert or update one article with its links and comments, in one transaction."""
        if article.id is None:
            raise ValueError(f"article without a post id: {article.url}")
        now = iso(fetched_at)
        content = _content_record(article)
        digest = _hash(content)
        record: dict[str, Any] = {
            "id": article.id,
            **content,
            "views": article.views,
            "likes": article.likes,
            "title_seg": segments.title_seg,
            "body_seg": segments.body_seg,
            "search_extra": segments.search_extra,
            "content_hash": digest,
            "extractor": article.extractor,
            "status": "live",
            "fetched_at": now,
        }
        with self.db.conn:
            try:
                previous = self.articles.get(article.id)
            except NotFoundError:
                previous = None
            if previous is None:
                outcome: Outcome = "new"
                record.update(first_seen_at=now, changed_at=now)
                self.articles.insert(record)
            else:
                outcome = "unchanged" if previous["content_hash"] == digest else "changed"
                if outcome == "changed":
                    self._archive_version(previous, now)
                    record["changed_at"] = now
                self.articles.update(article.id, record)
            self._replace_links(article)
            self._replace_comments(article)
            self._resolve_links_to(article)
        return outcome

    def _archive_version(self, previous: dict[str, Any], archived_at: str) -> None:
        number = self.db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?", [previous["id"]]
        ).fetchone()[0]
        row = {column: previous[column] for column in VERSIONED_COLUMNS}
        self.db.table("article_versions").insert(
            {"article_id": previous["id"], "version": number, "archived_at": archived_at, **row}
        )

    def _replace_links(self, article: Article) -> None:
        self.db.execute("DELETE FROM links WHERE src_id = ?", [article.id])
        rows = [("related", position, link) for position, link in enumerate(article.related)]
        rows += [(kind, 0, link) for kind, link in (("prev", article.prev), ("next", article.next)) if link]
        if not rows:
            return
        self.db.table("links").insert_all(
            {
                "src_id": article.id,
                "kind": kind,
                "position": position,
                "dst_url": link.url,
                "title": link.title,
                "date": link.date,
                "dst_id": self._article_id(link.url),
            }
            for kind, position, link in rows
        )

    def _replace_comments(self, article: Article) -> None:
        self.db.execute("DELETE FROM comments WHERE article_id = ?", [article.id])
        if article.comments:
            self.db.table("comments").insert_all(
                {"article_id": article.id, "position": position, **asdict(comment)}
                for position, comment in enumerate(article.comments)
            )

    def _article_id(self, url: str) -> int | None:
        """The archived article a link points to: by post id on the same site, else by exact URL."""
        post_id = post_id_from_url(url)
        if post_id is not None:
            row = self.db.execute("SELECT url FROM articles WHERE id = ?", [post_id]).fetchone()
            if row and same_site(row[0], url):
                return post_id
        row = self.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
        return row[0] if row else None

    def _resolve_links_to(self, article: Article) -> None:
        """Point the links that wait for ``article`` (whatever scheme or query they carry) at its id."""
        waiting = self.db.execute(
            "SELECT rowid, dst_url FROM links WHERE dst_id IS NULL AND (dst_url = ? OR dst_url LIKE ?)",
            [article.url, f"%/{article.id}.html%"],
        ).fetchall()
        rowids = [
            rowid
            for rowid, url in waiting
            if url == article.url or (post_id_from_url(url) == article.id and same_site(url, article.url))
        ]
        if rowids:
            self.db.conn.executemany("UPDATE links SET dst_id = ? WHERE rowid = ?", [(article.id, r) for r in rowids])
