"""Article writes: insert or update with versions, links, comments, gone marks.

An article is keyed by its WordPress post id. A re-crawl updates it in place when its content is
unchanged; when the content changed, the previous version moves to ``article_versions`` first, so
nothing archived is ever overwritten away. A page that reads much poorer than the stored version
(a maintenance page, a broken theme update) never replaces it: :class:`PoorerThanArchived`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlite_utils

from ..concept_terms import with_concept_terms
from ..records import Article, Comment, Segments
from ..text import with_joined_terms
from ..times import iso
from .content import VERSIONED_COLUMNS, content_hash_of_row, content_record
from .lexicon import SEGMENTED_COLUMNS, WordCounts
from .rows import insert_row, update_row, write_transaction

Outcome = Literal["new", "changed", "unchanged"]
# A body shorter than this share of the stored one "lost most of its text".
MIN_BODY_SHARE = 0.5


class PoorerThanArchived(ValueError):
    """The fetched page reads much poorer than the archived version, which stays."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where the response an article was read from lies: a WARC file and the record's offset."""

    warc_file: str
    warc_offset: int


def _comment_key(comment_id: int | None, author: str, time: str | None, text: str) -> tuple[Any, ...]:
    """What makes a comment the same comment: its WordPress id, else who wrote what when."""
    return ("id", comment_id) if comment_id is not None else ("text", author, time, text)


def poorer_reason(stored: dict[str, Any], article: Article) -> str | None:
    """Why ``article`` must not replace the live ``stored`` row, or None when it may."""
    if stored.get("status") != "live":
        return None
    if stored.get("title") and not article.title:
        return f"no title where the archive has {stored['title']!r}"
    old_length, new_length = len(stored.get("body_text") or ""), len(article.body_text)
    if old_length >= 40 and new_length < old_length * MIN_BODY_SHARE:
        return f"body lost most of its text ({old_length} -> {new_length} characters)"
    if stored.get("extractor") == "theme" and article.extractor != "theme":
        return "theme not recognised where the archived version was read by the theme rules"
    return None


class Articles:
    """Writes of articles and what hangs off them (versions, links, comments)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.words = WordCounts(db.conn)  # the words "did you mean" suggests (store.lexicon)

    def get(self, post_id: int) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT * FROM articles WHERE id = ?", [post_id])
        row = cursor.fetchone()
        return dict(zip([column for column, *_ in cursor.description], row, strict=True)) if row else None

    def save(
        self,
        article: Article,
        segments: Segments,
        fetched_at: datetime,
        source: Source | None = None,
        also: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """Insert or update one article with its links and comments, in one transaction.

        ``also`` runs inside that transaction with the outcome (the crawl writes the page's crawl state
        there, so a process killed at any moment never leaves an article without its state).
        Raises :class:`PoorerThanArchived` (nothing written) when the page reads much poorer than the
        live stored version."""
        if article.id is None:
            raise ValueError(f"article without a post id: {article.url}")
        now = iso(fetched_at)
        segments = with_joined_terms(segments)  # technical terms as single index tokens too (migration 0013)
        segments = with_concept_terms(segments)  # each concept named, as one token too (migration 0014)
        content = content_record(article)
        digest = content_hash_of_row(content)
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
            "gone_at": None,
            "fetched_at": now,
        }
        if source is not None:
            record.update(warc_file=source.warc_file, warc_offset=source.warc_offset)
        with write_transaction(self.db):
            previous = self.get(article.id)
            if previous is None:
                outcome: Outcome = "new"
                record.update(first_seen_at=now, changed_at=now)
                insert_row(self.db, "articles", record)
            else:
                if (reason := poorer_reason(previous, article)) is not None:
                    raise PoorerThanArchived(reason)
                outcome = "unchanged" if previous["content_hash"] == digest else "changed"
                if outcome == "changed":
                    self._archive_version(previous, now)
                    record["changed_at"] = now
                update_row(self.db, "articles", "id", record)
            was_live = previous is not None and previous["status"] == "live"
            before = [previous[column] for column in SEGMENTED_COLUMNS] if was_live else []
            self.words.replace(before, [record[column] for column in SEGMENTED_COLUMNS])
            self._replace_links(article)
            self._replace_comments(article)
            # Links are stored in canonical form, so the links waiting for this article match exactly.
            self.db.execute(
                "UPDATE links SET dst_id = ? WHERE dst_url = ? AND dst_id IS NULL", [article.id, article.url]
            )
            if also is not None:
                also(outcome)
        return outcome

    def add_new_comments(self, article: Article, also: Callable[[int], None] | None = None) -> int:
        """Archive the comments of ``article`` that are not archived yet, without touching its content
        (a new comment on an unchanged post); the number added. ``also`` runs in the same transaction.

        When every archived comment is still on the page, the page's list replaces them, in its order;
        when some are gone from the page (moderated, or on another comment page), the archived ones stay
        and the new ones follow them. (A new or changed article's comments are the page's: :meth:`save`.)"""
        if article.id is None:
            raise ValueError(f"article without a post id: {article.url}")
        with write_transaction(self.db):
            stored = self.db.execute(
                "SELECT comment_id, author, time, text FROM comments WHERE article_id = ? ORDER BY position",
                [article.id],
            ).fetchall()
            archived = {_comment_key(*row) for row in stored}
            keys = [_comment_key(c.comment_id, c.author, c.time, c.text) for c in article.comments]
            fresh = [comment for key, comment in zip(keys, article.comments, strict=True) if key not in archived]
            if fresh and archived <= set(keys):
                self._replace_comments(article)
            elif fresh:
                self._insert_comments(article.id, fresh, start=len(stored))
            if also is not None:
                also(len(fresh))
        return len(fresh)

    def mark_gone(self, post_id: int, at: datetime) -> bool:
        """Mark a live article gone from the site (row and versions kept); False if none was live."""
        columns = ", ".join(SEGMENTED_COLUMNS)
        with write_transaction(self.db):
            segmented = self.db.execute(
                f"SELECT {columns} FROM articles WHERE id = ? AND status = 'live'", [post_id]
            ).fetchone()
            cursor = self.db.execute(
                "UPDATE articles SET status = 'gone', gone_at = ? WHERE id = ? AND status = 'live'", [iso(at), post_id]
            )
            if segmented is not None:
                self.words.replace(list(segmented), [])
        return cursor.rowcount > 0

    def _archive_version(self, previous: dict[str, Any], archived_at: str) -> None:
        number = self.db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM article_versions WHERE article_id = ?", [previous["id"]]
        ).fetchone()[0]
        row = {column: previous[column] for column in VERSIONED_COLUMNS}
        insert_row(self.db, "article_versions", {"article_id": previous["id"], "version": number,
                                                "archived_at": archived_at, **row})  # fmt: skip

    def _replace_links(self, article: Article) -> None:
        self.db.execute("DELETE FROM links WHERE src_id = ?", [article.id])
        rows = [("related", position, link) for position, link in enumerate(article.related)]
        rows += [(kind, 0, link) for kind, link in (("prev", article.prev), ("next", article.next)) if link]
        if not rows:
            return
        urls = [link.url for _, _, link in rows]
        known = dict(
            self.db.execute(
                f"SELECT url, id FROM articles WHERE url IN ({', '.join('?' * len(urls))})", urls
            ).fetchall()
        )
        self.db.conn.executemany(
            "INSERT INTO links (src_id, kind, position, dst_url, title, date, dst_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (article.id, kind, position, link.url, link.title, link.date, known.get(link.url))
                for kind, position, link in rows
            ],
        )

    def _replace_comments(self, article: Article) -> None:
        assert article.id is not None
        self.db.execute("DELETE FROM comments WHERE article_id = ?", [article.id])
        self._insert_comments(article.id, article.comments)

    def _insert_comments(self, article_id: int, comments: list[Comment], start: int = 0) -> None:
        """Insert ``comments`` of the article at positions ``start``, ``start + 1``…"""
        if comments:
            self.db.conn.executemany(
                "INSERT INTO comments (article_id, position, author, text, time, comment_id, parent_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (article_id, start + offset, c.author, c.text, c.time, c.comment_id, c.parent_id)
                    for offset, c in enumerate(comments)
                ],
            )
