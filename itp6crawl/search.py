"""Full-text search over the archive (Chinese and English), and the other read queries.

Queries use the language of :mod:`itp6crawl.query`: segmented exactly like the indexed columns, every
token quoted, so any input is a valid FTS5 query or one clear :class:`QueryError`. Ranking is BM25 with
the title weighted above the body; filters by category, tag, author and date; sorting by date.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .query import Query, QueryError, parse
from .store.reports import connect_readonly
from .store.schema import ArchiveError, ArchiveMissing
from .text import Segmenter, normalise

# bm25 weights for (title_seg, body_seg, search_extra).
WEIGHTS = (10.0, 1.0, 0.5)
SNIPPET_CHARS = 80


@dataclass(slots=True)
class Hit:
    id: int
    url: str
    title: str
    published_at: str | None
    categories: list[str]
    score: float  # bm25, higher is better
    snippet: str  # a window of the body around the first term, terms in 【】


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query term found, terms wrapped in 【】."""
    folded = normalise(text)
    if len(folded) != len(text):  # NFKC changed lengths; positions would drift, so search the raw text
        folded = text.casefold()
    positions = [folded.find(term) for term in terms if term and folded.find(term) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    window = " ".join(text[start : start + width].split())
    wanted = sorted({term for term in terms if term}, key=len, reverse=True)
    if wanted:  # one pass, longest first, so highlights never nest
        pattern = re.compile("|".join(map(re.escape, wanted)), flags=re.IGNORECASE)
        window = pattern.sub(lambda m: f"【{m.group(0)}】", window)
    return ("…" if start else "") + window + ("…" if start + width < len(text) else "")


SORTS = {
    "relevance": "rank",
    "newest": "articles.published_at DESC, articles.id DESC",
    "oldest": "articles.published_at ASC, articles.id ASC",
}


class Hits(list[Hit]):
    """The hits of one page of results (a list), with the ``total`` number of matches and the parsed query."""

    def __init__(self, hits: list[Hit], total: int, query: Query) -> None:
        super().__init__(hits)
        self.total = total
        self.query = query


def search(
    path: str | Path,
    query: str,
    *,
    category: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    segmenter: Segmenter | None = None,
) -> Hits:
    """Live articles matching ``query`` (the language of :mod:`itp6crawl.query`), best first or by date.

    ``category``, ``tag`` (exact names) and ``author`` (nickname or credit) filter; ``since`` and
    ``until`` are dates (``YYYY-MM-DD``, inclusive) on the publication time. Raises
    :class:`~itp6crawl.query.QueryError` for a query with nothing to search, ``ValueError`` for a bad
    ``sort``, :class:`ArchiveError` when the archive cannot be read."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    parsed = parse(query, segmenter)
    where = ["articles_fts MATCH :match", "articles.status = 'live'"]
    params: dict[str, object] = {"match": parsed.match, "limit": limit, "offset": offset}
    if category:
        where.append("EXISTS (SELECT 1 FROM json_each(articles.categories) WHERE value = :category)")
        params["category"] = category
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(articles.tags) WHERE value = :tag COLLATE NOCASE)")
        params["tag"] = tag
    if author:
        where.append("(articles.author = :author OR articles.credit = :author)")
        params["author"] = author
    if since:
        where.append("substr(articles.published_at, 1, 10) >= :since")
        params["since"] = since
    if until:
        where.append("substr(articles.published_at, 1, 10) <= :until")
        params["until"] = until
    source = "FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid WHERE " + " AND ".join(where)
    with connect_readonly(path) as connection:
        total = connection.execute(f"SELECT COUNT(*) {source}", params).fetchone()[0]
        rows = connection.execute(
            f"""
            SELECT articles.id, articles.url, articles.title, articles.published_at, articles.categories,
                   articles.body_text, bm25(articles_fts, {", ".join(map(str, WEIGHTS))}) AS rank
            {source}
            ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset
            """,
            params,
        ).fetchall()
    hits = [
        Hit(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            published_at=row["published_at"],
            categories=json.loads(row["categories"] or "[]"),
            score=-row["rank"],
            snippet=snippet(row["body_text"] or "", parsed.terms),
        )
        for row in rows
    ]
    return Hits(hits, total, parsed)


def summary(path: str | Path) -> dict[str, int]:
    """Counts a user wants after a crawl: articles, links, comments, versions, runs, failures."""
    with connect_readonly(path) as connection:
        return {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "links", "comments", "article_versions", "crawl_runs", "failures")
        }


__all__ = [
    "ArchiveError",
    "ArchiveMissing",
    "Hit",
    "Hits",
    "QueryError",
    "connect_readonly",
    "search",
    "snippet",
    "summary",
]
