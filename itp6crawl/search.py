"""Full-text search over the archive (Chinese and English), and the other read queries.

Queries use the language of :mod:`itp6crawl.query`: segmented exactly like the indexed columns, every
token quoted, so any input is a valid FTS5 query or one clear :class:`QueryError`. Ranking is BM25 with
the title weighted above the body; filters by category, tag, author and date; sorting by date.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .query import Query, QueryError, parse
from .store.datasets import ARTICLE_FILTERS
from .store.readonly import ArchiveError, ArchiveMissing, connect_readonly
from .store.toplists import BM25, TopList, top_lists
from .text import Segmenter, normalise

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


def zh_snippet(body_text: str | None, query: str | None) -> str:
    """:func:`snippet` for a query in the query language (the plugins' SQL function ``zh_snippet``)."""
    try:
        terms = parse(query or "").terms
    except QueryError:
        terms = []
    return snippet(body_text or "", terms)


SORTS = {
    "relevance": "rank, articles_fts.rowid",
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
    # The FTS index does the matching, counting and ranking on its own; articles are read only for the
    # filters (their early, narrow columns) and for the page's rows. Joining every match to its article
    # row for the count would read each wide row (the body, the HTML) and costs seconds at 20,000 articles.
    # The unary + keeps SQLite from handing the rowid lists to FTS5, which would rerun the MATCH per rowid.
    chosen = {"category": category, "tag": tag, "author": author, "since": since, "until": until}
    params: dict[str, object] = {"match": parsed.match, "limit": limit, "offset": offset}
    params.update({name: value for name, value in chosen.items() if value})
    filters = [ARTICLE_FILTERS[name] for name, value in chosen.items() if value]  # conditions on articles
    where = ["articles_fts MATCH :match"]
    if filters:
        where.append("+articles_fts.rowid IN (SELECT id FROM articles WHERE " + " AND ".join(filters) + ")")
    with connect_readonly(path) as connection:
        # Checking every match against the few gone articles costs as much as finding the matches.
        all_live = not connection.execute(f"SELECT EXISTS (SELECT 1 FROM articles WHERE {NOT_LIVE})").fetchone()[0]
        if not all_live:
            where.append(f"+articles_fts.rowid NOT IN (SELECT id FROM articles WHERE {NOT_LIVE})")
        matches = _Matches(" AND ".join(where), filters, params, all_live)
        total, page = None, None
        if sort == "relevance":
            total, page = _rank_from_top_lists(connection, parsed, matches, limit + offset)
        if total is None:
            total = matches.count(connection)
        if page is not None:
            page = page[offset:]
        else:
            join = "" if sort == "relevance" else " JOIN articles ON articles.id = articles_fts.rowid"
            page = connection.execute(
                f"SELECT articles_fts.rowid, {BM25} AS rank FROM articles_fts{join} WHERE {matches.condition}"
                f" ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        ids = [row[0] for row in page]
        rows = {
            row["id"]: row
            for row in connection.execute(
                "SELECT id, url, title, published_at, categories, body_text FROM articles"
                f" WHERE id IN ({', '.join('?' * len(ids))})",
                ids,
            )
        }
    hits = [
        Hit(
            id=article_id,
            url=rows[article_id]["url"],
            title=rows[article_id]["title"],
            published_at=rows[article_id]["published_at"],
            categories=json.loads(rows[article_id]["categories"] or "[]"),
            score=-score,
            snippet=snippet(rows[article_id]["body_text"] or "", parsed.terms),
        )
        for article_id, score in page
    ]
    return Hits(hits, total, parsed)


# status <> 'live' as two ranges of the status index: ``<>`` reads the whole index (5 ms at 100,000 articles).
NOT_LIVE = "(status < 'live' OR status > 'live')"

# Up to this many matches, ranking them all (bm25 in FTS5) is as cheap as any shortcut.
RANK_ALL_BELOW = 2000

# A quoted FTS5 phrase of the match expression, with the ``*`` of a prefix query after it.
_PHRASE = re.compile(r'"((?:[^"]|"")*)"(\*?)')


@dataclass(frozen=True, slots=True)
class _Matches:
    """The matches of one search: the WHERE of ``articles_fts`` (the MATCH, live articles, the filters),
    the filters alone (conditions on ``articles``) and the parameters of both."""

    condition: str
    filters: list[str]
    params: dict[str, object]
    all_live: bool  # the archive has no gone article

    def count(self, connection: sqlite3.Connection) -> int:
        return connection.execute(f"SELECT COUNT(*) FROM articles_fts WHERE {self.condition}", self.params).fetchone()[
            0
        ]


@dataclass(slots=True)
class _ListedQuery:
    """A query the top lists can answer: its wanted tokens (one per occurrence: bm25 counts each)."""

    tokens: list[str]
    conjunction: bool  # only wanted tokens joined by AND (no OR, no exclusion)


def _listed_query(query: Query) -> _ListedQuery | None:
    """The query's single-token phrases, or None for a phrase of several tokens, a prefix or a column
    filter (their scores are not sums of the tokens' own)."""
    phrases = _PHRASE.findall(query.match)
    if not phrases or "title_seg :" in query.match or any(star or " " in token for token, star in phrases):
        return None
    tokens = [token.replace('""', '"') for token, _ in phrases]
    terms = set(query.terms)  # sets and counters: a scan of a list per token made long queries quadratic
    wanted = [token for token in tokens if token in terms]
    if not wanted or Counter(tokens) != Counter(wanted):
        return None  # nothing wanted, or a token both wanted and excluded
    operators = _PHRASE.sub("", query.match).replace("(", " ").replace(")", " ").split()
    return _ListedQuery(wanted, conjunction=len(wanted) == len(tokens) and set(operators) <= {"AND"})


def _rank_from_top_lists(
    connection: sqlite3.Connection, query: Query, matches: _Matches, wanted: int
) -> tuple[int | None, list[tuple[int, float]] | None]:
    """The match count and the best ``wanted`` (rowid, rank) pairs from the top lists of the query's
    tokens (:mod:`itp6crawl.store.toplists`); the page is None when the lists cannot prove the exact
    answer, and the count is None when it was not computed on the way.

    bm25 sums one term per wanted token occurrence (an excluded token scores 0 in every match), and an
    article outside a token's list scores at most the list's threshold for it. Two ways, cheapest first:

    - an AND of tokens: an article in every list has its exact score from the lists alone; any other
      scores at most its listed scores plus the thresholds of the lists it is missing from. When the
      ``wanted``-th best fully listed (live, filtered) article scores above every other's bound, those
      are the answer, without touching the index (Fagin's threshold algorithm, no random access);
    - otherwise one scan of the matches counts them and scores the listed articles with FTS5; no unlisted
      article scores above the sum of the thresholds, so when the ``wanted``-th best listed match does,
      the listed ranking is the ranking."""
    listed_query = _listed_query(query)
    if listed_query is None:
        return None, None
    tokens = listed_query.tokens
    lists = top_lists(connection, tokens)
    if lists is None:
        return None, None
    if listed_query.conjunction and (page := _rank_from_lists_alone(connection, tokens, lists, matches, wanted)):
        one_word = len(tokens) == 1 and not matches.filters
        return (lists[tokens[0]].live_articles if one_word else None), page
    total = matches.count(connection)  # finding the matches is cheap; scoring them is not
    if total <= RANK_ALL_BELOW:
        return total, None
    bound = sum(lists[token].threshold for token in tokens)
    candidates = sorted(set().union(*(top.scores for top in lists.values())))
    listed = ", ".join(str(int(rowid)) for rowid in candidates)  # article ids: integers from the archive
    scored = connection.execute(
        f"SELECT articles_fts.rowid, {BM25} FROM articles_fts"
        f" WHERE {matches.condition} AND +articles_fts.rowid IN ({listed})",
        matches.params,
    ).fetchall()
    ranked = sorted((rank, rowid) for rowid, rank in scored)
    if len(ranked) < wanted or -ranked[wanted - 1][0] <= bound:
        return total, None
    return total, [(rowid, rank) for rank, rowid in ranked[:wanted]]


def _rank_from_lists_alone(
    connection: sqlite3.Connection, tokens: list[str], lists: dict[str, TopList], matches: _Matches, wanted: int
) -> list[tuple[int, float]] | None:
    """The best ``wanted`` (rowid, rank) pairs of an AND of ``tokens`` from their lists alone, or None."""
    occurrences = Counter(tokens)
    distinct = [lists[token] for token in occurrences]
    everywhere = set.intersection(*(set(top.scores) for top in distinct))
    thresholds = sum(lists[token].threshold for token in tokens)  # the bound of an article in no list
    # An article in some lists scores at most the thresholds plus what its listed scores add above them:
    # one pass over the lists' entries (summing every token for every listed article was quadratic).
    gain: dict[int, float] = {}
    for token, times in occurrences.items():
        top = lists[token]
        for article_id, score in top.scores.items():
            if article_id not in everywhere:
                gain[article_id] = gain.get(article_id, 0.0) + times * (score - top.threshold)
    bound = thresholds + max(gain.values(), default=0.0)  # a listed score is never below its threshold
    bound += abs(bound) * 1e-12  # summed in another order than the scores: never a rounding below them
    exact = [(sum(lists[token].scores[article_id] for token in tokens), article_id) for article_id in everywhere]
    above = sorted((pair for pair in exact if pair[0] > bound), key=lambda pair: (-pair[0], pair[1]))
    if len(above) < wanted:
        return None
    if matches.all_live and not matches.filters:
        return [(article_id, -score) for score, article_id in above[:wanted]]
    page: list[tuple[int, float]] = []
    for start in range(0, len(above), 2 * wanted):  # the best first: most are live and pass
        chunk = above[start : start + 2 * wanted]
        kept = _live_and_filtered(connection, [article_id for _, article_id in chunk], matches)
        page += [(article_id, -score) for score, article_id in chunk if article_id in kept]
        if len(page) >= wanted:
            return page[:wanted]
    return None


def _live_and_filtered(connection: sqlite3.Connection, ids: list[int], matches: _Matches) -> set[int]:
    """Which of ``ids`` are live articles that pass the search's filters."""
    listed = ", ".join(str(int(article_id)) for article_id in ids)  # article ids: integers from the archive
    conditions = " AND ".join([f"id IN ({listed})", "status = 'live'", *matches.filters])
    return {row[0] for row in connection.execute(f"SELECT id FROM articles WHERE {conditions}", matches.params)}


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
    "zh_snippet",
]
