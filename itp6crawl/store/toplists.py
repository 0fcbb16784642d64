"""Top lists: for each frequent search token, the articles it scores highest in (champion lists).

Ranking is bm25 over ``articles_fts``. FTS5 has no early termination: ``ORDER BY rank LIMIT 10`` scores
every match first, and a word such as 血小板 or 治疗 matches nearly every article, so a one-word search
would cost a full ranking (about 2 µs per match: 200 ms at 100,000 articles). FTS5's bm25 of a query is a
sum over its phrases, each term scored on its own, so for every token in at least ``TOP_MIN_ARTICLES``
articles we keep its ``TOP_SIZE`` best articles and the lowest score among them (the list's threshold).
An article outside a token's list scores at most that threshold for it; :mod:`itp6crawl.search` ranks
only the listed articles and returns them when the threshold bound proves that no other article could
rank above them (Fagin's threshold algorithm), and ranks every match otherwise. Results are the same.

Tokens here are the index's terms: since migration 0008 the index stems English words (FTS5's porter),
so a search looks ``platelets`` up as ``platelet`` (:func:`itp6crawl.text.porter_stem`), and a term that a
query cannot ask for as itself (a stem whose own stem differs) gets no list.

The lists describe one state of the index: every write to an article's search columns or status moves
``search_state.generation`` on (triggers of migration 0005), and lists built at an older generation are
ignored until :func:`refresh_top_lists` rebuilds them, which a crawl does when it ends.

Plain ``sqlite3`` only, so a search never imports sqlite-utils.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# bm25 weights of articles_fts's columns (title_seg, body_seg, search_extra): a title counts 10 times.
BM25_WEIGHTS = (10.0, 1.0, 0.5)
BM25 = f"bm25(articles_fts, {', '.join(map(str, BM25_WEIGHTS))})"  # lower is better, as FTS5 ranks
TOP_MIN_ARTICLES = 2000  # a token in fewer articles ranks in a few milliseconds without a list
TOP_SIZE = 200  # articles kept per token: pages beyond the 200th result are ranked in full


@dataclass(frozen=True, slots=True)
class TopList:
    """A token's best articles by its own bm25 score (higher is better), and the bound on all others."""

    scores: dict[int, float]
    threshold: float  # no article outside ``scores`` scores above this for the token
    live_articles: int  # live articles holding the token: a one-word search's count


@dataclass(frozen=True, slots=True)
class TopListsBuilt:
    tokens: int
    seconds: float
    generation: int


def top_lists(connection: sqlite3.Connection, tokens: Iterable[str]) -> dict[str, TopList] | None:
    """The lists of ``tokens`` (index terms: a query's words stemmed as the index stems them, see
    :func:`index_tokenizer`), or None when one has no list or the lists are older than the index."""
    wanted = sorted(set(tokens))
    try:
        state = connection.execute("SELECT generation, top_generation FROM search_state").fetchone()
        if state is None or state[0] != state[1] or not wanted:
            return None
        marks = ", ".join("?" * len(wanted))
        thresholds = {
            term: (threshold, live)
            for term, threshold, live in connection.execute(
                f"SELECT term, threshold, live_articles FROM search_top_terms WHERE term IN ({marks})", wanted
            )
        }
        if len(thresholds) < len(wanted):
            return None
        scores: dict[str, dict[int, float]] = {token: {} for token in wanted}
        rows = connection.execute(f"SELECT term, article_id, score FROM search_top WHERE term IN ({marks})", wanted)
        for term, article_id, score in rows:
            scores[term][article_id] = score
    except sqlite3.OperationalError:  # an archive older than migration 0005, opened read-only
        return None
    return {token: TopList(scores[token], *thresholds[token]) for token in wanted}


def top_lists_are_current(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT generation, top_generation FROM search_state").fetchone()
    return row is not None and row[0] == row[1]


def refresh_top_lists(
    connection: sqlite3.Connection,
    *,
    force: bool = False,
    min_articles: int = TOP_MIN_ARTICLES,
    size: int = TOP_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> TopListsBuilt | None:
    """Rebuild the top lists when the index has changed since they were built (or ``force``); None when
    they were current. One transaction: readers see the old lists or the new ones, never a mix."""
    if not force and top_lists_are_current(connection):
        return None
    start = time.perf_counter()
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocabulary USING fts5vocab(main, articles_fts, row)"
    )
    connection.execute("BEGIN IMMEDIATE")
    try:
        generation = connection.execute("SELECT generation FROM search_state").fetchone()[0]
        frequent = connection.execute(
            "SELECT term, doc FROM temp.search_vocabulary WHERE doc >= ? ORDER BY term", (min_articles,)
        ).fetchall()
        searchable = _searched_as_themselves(connection, [term for term, _ in frequent])
        frequent = [(term, articles) for term, articles in frequent if term in searchable]
        connection.execute("DELETE FROM search_top")
        connection.execute("DELETE FROM search_top_terms")
        for done, (term, articles) in enumerate(frequent, 1):
            phrase = '"' + term.replace('"', '""') + '"'
            best = connection.execute(
                f"SELECT rowid, -{BM25} AS score FROM articles_fts WHERE articles_fts MATCH ?"
                " ORDER BY score DESC, rowid LIMIT ?",
                (phrase, size),
            ).fetchall()
            connection.executemany(
                "INSERT INTO search_top (term, article_id, score) VALUES (?, ?, ?)",
                [(term, rowid, score) for rowid, score in best],
            )
            threshold = best[-1][1] if len(best) >= size else 0.0
            live = connection.execute(
                "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?"
                " AND +rowid NOT IN (SELECT id FROM articles WHERE status < 'live' OR status > 'live')",
                (phrase,),
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO search_top_terms (term, articles, live_articles, threshold) VALUES (?, ?, ?, ?)",
                (term, articles, live, threshold),
            )
            if progress is not None:
                progress(done, len(frequent))
        connection.execute(
            "UPDATE search_state SET top_generation = ?, top_built_at = ?",
            (generation, datetime.now(UTC).isoformat(timespec="seconds")),
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    connection.execute("DROP TABLE IF EXISTS temp.search_vocabulary")
    return TopListsBuilt(len(frequent), time.perf_counter() - start, generation)


_TOKENIZE = re.compile(r"\btokenize\s*=\s*('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\w+)", re.IGNORECASE)


def index_tokenizer(connection: sqlite3.Connection) -> str | None:
    """The ``tokenize`` option of ``articles_fts`` (``'porter unicode61'`` since migration 0008), or None
    for FTS5's default (unicode61, an archive before 0008: no stems)."""
    row = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'articles_fts'").fetchone()
    found = _TOKENIZE.search(row[0]) if row and row[0] else None
    return found[1] if found else None


def _searched_as_themselves(connection: sqlite3.Connection, terms: list[str]) -> set[str]:
    """The index terms that a query for the term finds as itself. FTS5 stems a query's words as it stemmed
    the text, and a stem is not always its own stem (porter makes ``agre`` of agreed, then ``agr`` of
    agre): such a term is reached only through the words it came from, and a list built by asking for it
    would hold another term's articles. Asked of FTS5 itself, with the index's own tokenizer."""
    tokenize = index_tokenizer(connection)
    if tokenize is None:
        return set(terms)
    connection.execute("DROP TABLE IF EXISTS temp.search_stems")
    connection.execute(f"CREATE VIRTUAL TABLE temp.search_stems USING fts5(term, tokenize={tokenize})")
    try:
        connection.execute("CREATE VIRTUAL TABLE temp.search_stems_terms USING fts5vocab(temp, search_stems, instance)")
        connection.executemany("INSERT INTO temp.search_stems (rowid, term) VALUES (?, ?)", enumerate(terms, 1))
        stems: dict[int, list[str]] = {}
        for rowid, stem in connection.execute("SELECT doc, term FROM temp.search_stems_terms"):
            stems.setdefault(rowid, []).append(stem)
        return {term for rowid, term in enumerate(terms, 1) if stems.get(rowid) == [term]}
    finally:
        connection.execute("DROP TABLE IF EXISTS temp.search_stems_terms")
        connection.execute("DROP TABLE temp.search_stems")


# Migration 0005 runs these: the tables, and the triggers that move the generation on.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL DEFAULT 0,"
    " top_generation INTEGER, top_built_at TEXT)",
    "INSERT OR IGNORE INTO search_state (id, generation) VALUES (1, 0)",
    "CREATE TABLE IF NOT EXISTS search_top ("
    " term TEXT NOT NULL, article_id INTEGER NOT NULL, score REAL NOT NULL,"
    " PRIMARY KEY (term, article_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS search_top_terms ("
    " term TEXT PRIMARY KEY, articles INTEGER NOT NULL, live_articles INTEGER NOT NULL, threshold REAL NOT NULL)"
    " WITHOUT ROWID",
    *(
        f"CREATE TRIGGER IF NOT EXISTS search_generation_{name} AFTER {event} ON articles"
        " BEGIN UPDATE search_state SET generation = generation + 1; END"
        for name, event in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            ("update", "UPDATE OF title_seg, body_seg, search_extra, status"),
        )
    ),
)
