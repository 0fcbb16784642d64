"""Full-text search over the archive (Chinese and English), and the other read queries.

Queries are segmented exactly like the indexed columns and every token is quoted, so any input is
a valid FTS5 query. Ranking is BM25 with the title weighted above the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .store.reports import connect_readonly
from .store.schema import ArchiveError, ArchiveMissing
from .text import Segmenter, default_segmenter, fts_query, normalise

# bm25 weights for (title_seg, body_seg, search_extra).
WEIGHTS = (10.0, 1.0, 0.5)
SNIPPET_CHARS = 80


@dataclass(slots=True)
class Hit:
    id: int
    url: str
    title: str
    published_at: str | None
    score: float
    snippet: str


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


def search(path: str | Path, query: str, limit: int = 20, segmenter: Segmenter | None = None) -> list[Hit]:
    """Live articles matching every token of ``query``, best first."""
    segmenter = segmenter or default_segmenter()
    match = fts_query(query, segmenter)
    if not match:
        return []
    terms = segmenter.tokens(query)
    with connect_readonly(path) as connection:
        rows = connection.execute(
            f"""
            SELECT articles.id, articles.url, articles.title, articles.published_at, articles.body_text,
                   bm25(articles_fts, {", ".join(map(str, WEIGHTS))}) AS rank
            FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid
            WHERE articles_fts MATCH ? AND articles.status = 'live'
            ORDER BY rank LIMIT ?
            """,
            [match, limit],
        ).fetchall()
    return [
        Hit(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            published_at=row["published_at"],
            score=-row["rank"],
            snippet=snippet(row["body_text"] or "", terms),
        )
        for row in rows
    ]


def summary(path: str | Path) -> dict[str, int]:
    """Counts a user wants after a crawl: articles, links, comments, versions, runs, failures."""
    with connect_readonly(path) as connection:
        return {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "links", "comments", "article_versions", "crawl_runs", "failures")
        }


__all__ = ["ArchiveError", "ArchiveMissing", "Hit", "connect_readonly", "search", "snippet", "summary"]
