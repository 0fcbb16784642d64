"""Top lists: for each frequent search token, the articles it scores highest in (champion lists), kept
fresh incrementally as the archive changes.

Ranking is bm25 over ``articles_fts``. FTS5 has no early termination: ``ORDER BY rank LIMIT 10`` scores
every match first, and a word such as 血小板 or 治疗 matches nearly every article, so a one-word search
would cost a full ranking (about 2 µs per match: 200 ms at 100,000 articles). FTS5's bm25 of a query is a
sum over its phrases, each term scored on its own, so for every token in at least ``TOP_MIN_ARTICLES``
articles we keep its ``TOP_SIZE`` best articles and a bound on every other article's score for it (the
list's threshold). :mod:`itp6crawl.search` ranks only the listed articles and returns them when the bound
proves that no other article could rank above them (Fagin's threshold algorithm), and ranks every match
otherwise. Results are the same, scores to the last bit.

**Scores that survive changes.** FTS5's score of a token in an article (``fts5Bm25Function`` in SQLite's
``fts5_aux.c``) is ``idf(N, n) * f (k1 + 1) / (f + k1 (1 - b + b D / avgdl))``: ``f`` the article's
weighted count of the token (each instance adds its column's weight), ``D`` the article's size in tokens
over all columns, and three global figures: the row count ``N``, the token's article count ``n`` and
``avgdl``, the average size. A list stores ``f`` and ``D`` of its articles, which change only when the
article does, and its threshold as the largest *saturation* (the factor after ``idf``) of any unlisted
article at the average size ``avgdl₀`` the lists were built at. A search reads ``N`` and ``avgdl`` from
FTS5's own averages record and ``n`` from the list (kept exact, below), scores the listed articles with
FTS5's formula in the same floating-point operations (identical to the last bit), and bounds every other
article by ``idf * threshold * max(1, avgdl / avgdl₀)``: the saturation grows with ``avgdl``, at most in
proportion.

**Changes.** Plain SQL triggers (migration 0010, so that sqlite-utils and Datasette can still write the
archive) record every article whose search columns or status really changed since the lists were last
refreshed: ``search_changes`` (its status then), ``search_changes_before`` (its text then, an FTS5 table)
and ``search_changes_after`` (its text now). A search reads them: a token's article counts move by the
changed articles that held it then and hold it now, the changed articles holding it now are scored from
``search_changes_after_terms`` (their ``f``) and the index's sizes, and listed entries of changed articles
are ignored. So between a change and the refresh the lists stay exact, and no search is slower.
:func:`refresh_top_lists` then folds the changes into the lists (only the lists of tokens the changed
articles held or hold), or rebuilds them all when the changes are many (``REBUILD_SHARE`` of the articles
since the last full build), the average size drifted (``REBUILD_AVGDL_DRIFT``), or the triggers stopped
tracking (more than ``search_state.track_limit`` changed articles: a reindex, a first crawl).

Tokens here are the index's terms: since migration 0008 the index stems English words (FTS5's porter),
so a search looks ``platelets`` up as ``platelet`` (:func:`itp6crawl.text.porter_stem`), and a term that a
query cannot ask for as itself (a stem whose own stem differs) gets no list.

Plain ``sqlite3`` only, so a search never imports sqlite-utils.
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import TYPE_CHECKING

from .datasets import NOT_LIVE

if TYPE_CHECKING:  # numpy and the postings are imported where they are used: a one-word search needs neither
    import numpy as np

    from .postings import Postings

# bm25 weights of articles_fts's columns (title_seg, body_seg, search_extra): a title counts 10 times.
FTS_COLUMNS = ("title_seg", "body_seg", "search_extra")
BM25_WEIGHTS = (10.0, 1.0, 0.5)
BM25 = f"bm25(articles_fts, {', '.join(map(str, BM25_WEIGHTS))})"  # lower is better, as FTS5 ranks
TOP_MIN_ARTICLES = 2000  # a token in fewer articles ranks in a few milliseconds without a list
TOP_SIZE = 200  # articles kept per token: pages beyond the 200th result are ranked in full

K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
# Every weight is a multiple of this, so a weighted count is one too: a stored score gives its count back.
FREQUENCY_STEP = 0.5
assert all((weight / FREQUENCY_STEP).is_integer() for weight in BM25_WEIGHTS)
COLUMN_WEIGHTS = dict(zip(FTS_COLUMNS, BM25_WEIGHTS, strict=True))
_COLUMN_INDEX = {column: index for index, column in enumerate(FTS_COLUMNS)}
COLUMN_BITS = 2  # a token's place in an article: offset << COLUMN_BITS | its column's index
assert len(FTS_COLUMNS) <= 1 << COLUMN_BITS
COLUMN_MASK = (1 << COLUMN_BITS) - 1  # a place's column index: place & COLUMN_MASK
COLUMN_STEPS = tuple(round(weight / FREQUENCY_STEP) for weight in BM25_WEIGHTS)  # an instance's weighted count
_WHEN_COLUMN = " ".join(f"WHEN '{column}' THEN {index}" for column, index in _COLUMN_INDEX.items())
_PLACE = f"offset << {COLUMN_BITS} | CASE col {_WHEN_COLUMN} END"  # a place, as SQL over an fts5vocab instance

TRACK_MIN, TRACK_SHARE = 100, 0.01  # changed articles tracked one by one: 1% of the archive, at least 100
REBUILD_SHARE = 0.05  # a full rebuild once this share of the articles changed since the last one
REBUILD_AVGDL_DRIFT = 0.02  # ... or once the average article size moved by 2%: every bound loosens with it
BOUND_MARGIN = 1e-9  # bounds are widened by this share: never a rounding below a score they bound


@dataclass(frozen=True, slots=True)
class TopList:
    """A token's known articles with their exact bm25 score for it (higher is better, as FTS5 computes it
    now), and the bound on every other article's score for it."""

    scores: dict[int, float]
    threshold: float  # no article outside ``scores`` scores above this for the token
    live_articles: int  # live articles holding the token: a one-word search's count


@dataclass(frozen=True, slots=True)
class TopListsBuilt:
    tokens: int  # lists in the archive after the refresh
    seconds: float
    generation: int
    changed_articles: int = 0  # the changed articles folded in (an incremental refresh)
    incremental: bool = False  # True: only the lists the changes touch were updated

    def __str__(self) -> str:
        """What a crawl's log says of the refresh: folded in, or rebuilt whole."""
        if self.incremental:
            done = f"{self.changed_articles:,} changed article{'s' * (self.changed_articles != 1)} folded into"
        else:
            done = "rebuilt:"
        return f"{done} {self.tokens:,} lists of frequent words in {self.seconds:.3f} s"


@dataclass(frozen=True, slots=True)
class IndexStats:
    """FTS5's global figures for bm25: rows and their total size in tokens (all columns)."""

    rows: int
    tokens: int

    @property
    def avgdl(self) -> float:
        return self.tokens / self.rows  # as FTS5: (double)nToken / (double)nRow, both exact below 2**53


def idf(rows: int, articles: int) -> float:
    """FTS5's idf of a token in ``articles`` of ``rows`` rows (clamped, as FTS5 does, to 1e-6)."""
    value = math.log((rows - articles + 0.5) / (articles + 0.5))
    return value if value > 0.0 else 1e-6


def saturation(frequency: float, size: int, avgdl: float) -> float:
    """bm25's factor after idf, in FTS5's own operations and order: ``idf * saturation(...)`` is FTS5's
    score of one phrase to the last bit."""
    return (frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * size / avgdl))


def index_stats(connection: sqlite3.Connection) -> IndexStats | None:
    """The row count and total size of ``articles_fts``, from FTS5's averages record (row 1 of its data
    table: the row count, then each column's total size, as SQLite varints); None for an empty index."""
    row = connection.execute("SELECT block FROM articles_fts_data WHERE id = 1").fetchone()
    values = _varints(row[0]) if row and row[0] else []
    if len(values) < 1 + len(FTS_COLUMNS) or values[0] <= 0:
        return None
    return IndexStats(values[0], sum(values[1 : 1 + len(FTS_COLUMNS)]))


def document_sizes(connection: sqlite3.Connection, ids: Iterable[int] | None = None) -> dict[int, int]:
    """Each article's size in tokens over all columns, as bm25 reads it (``articles_fts_docsize``)."""
    query = "SELECT id, sz FROM articles_fts_docsize"
    if ids is not None:
        query += f" WHERE id IN ({', '.join(str(int(article_id)) for article_id in ids)})"
    return {article_id: sum(_varints(sizes)) for article_id, sizes in connection.execute(query)}


def _varints(blob: bytes) -> list[int]:
    """SQLite's varints (big-endian, 7 bits a byte while the high bit is set, 8 in a ninth byte)."""
    values: list[int] = []
    position = 0
    while position < len(blob):
        value = 0
        for index in range(9):
            byte = blob[position]
            position += 1
            if index == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def top_lists(connection: sqlite3.Connection, tokens: Iterable[str]) -> dict[str, TopList] | None:
    """The lists of ``tokens`` (index terms: a query's words stemmed as the index stems them, see
    :func:`index_tokenizer`) scored for the index as it is now, or None when one has no list or the
    changes since the lists were refreshed are no longer tracked. Read in one snapshot of the archive."""
    wanted = sorted(set(tokens))
    if not wanted:
        return None
    try:
        with read_snapshot(connection):
            return _read_lists(connection, wanted)
    except sqlite3.OperationalError:  # an archive older than migration 0010, opened read-only
        return None


@contextmanager
def read_snapshot(connection: sqlite3.Connection) -> Iterator[None]:
    """One read transaction (the lists, the changes and the index statistics of one moment), unless the
    caller holds one already."""
    if connection.in_transaction:
        yield
        return
    connection.execute("BEGIN")
    try:
        yield
    finally:
        connection.execute("COMMIT")


def _read_lists(connection: sqlite3.Connection, wanted: list[str]) -> dict[str, TopList] | None:
    state = _state(connection)
    if state is None or state.base is None or (state.pending and not state.tracking):
        return None
    stats = index_stats(connection)
    if stats is None:
        return None
    marks = ", ".join("?" * len(wanted))
    terms = {
        term: (articles, live, threshold)
        for term, articles, live, threshold in connection.execute(
            f"SELECT term, articles, live_articles, threshold FROM search_top_terms WHERE term IN ({marks})", wanted
        )
    }
    if len(terms) < len(wanted):
        return None
    known: dict[str, dict[int, tuple[float, int]]] = {token: {} for token in wanted}
    rows = connection.execute(
        f"SELECT term, article_id, frequency, size FROM search_top WHERE term IN ({marks})", wanted
    )
    for term, article_id, frequency, size in rows:
        known[term][article_id] = (frequency, size)
    changes = _pending_changes(connection, wanted) if state.pending else _Changes.none()
    avgdl = stats.avgdl
    stretch = max(1.0, avgdl / state.base.avgdl) * (1 + BOUND_MARGIN)
    lists: dict[str, TopList] = {}
    for token in wanted:
        articles, live, threshold = terms[token]
        before, after = changes.before.get(token, set()), changes.after.get(token, {})
        articles += len(after) - len(before)
        live += sum(changes.is_live(a) for a in after) - sum(changes.was_live(a) for a in before)
        if not 0 < articles <= stats.rows:
            return None  # the lists disagree with the index (written by hand?): rank every match
        entries = {a: entry for a, entry in known[token].items() if a not in changes.old_status}
        entries.update({a: (frequency, changes.sizes[a]) for a, frequency in after.items()})
        weight = idf(stats.rows, articles)
        scores = {a: weight * saturation(frequency, size, avgdl) for a, (frequency, size) in entries.items()}
        lists[token] = TopList(scores, weight * threshold * stretch, live)
    return lists


def postings_are_usable(connection: sqlite3.Connection) -> bool:
    """Whether the archive has postings a search can read now: built, and every change since tracked."""
    try:
        state = _state(connection)
    except sqlite3.OperationalError:  # an archive older than migration 0010, opened read-only
        return False
    return state is not None and state.postings_readable


def term_articles(connection: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """How many articles held each of ``terms`` (index terms with a list) when the lists were refreshed."""
    wanted = sorted(set(terms))
    if not wanted:
        return {}
    query = f"SELECT term, articles FROM search_top_terms WHERE term IN ({', '.join('?' * len(wanted))})"
    try:
        return dict(connection.execute(query, wanted).fetchall())
    except sqlite3.OperationalError:
        return {}


def token_postings(
    connection: sqlite3.Connection, tokens: Iterable[str], with_positions: Iterable[str] = ()
) -> dict[str, Postings] | None:
    """Every article holding each of ``tokens`` (index terms) that has postings, with its weighted count and
    size, and for the tokens ``with_positions`` (the words of phrases) where it stands in each, as the index
    holds them now (:mod:`itp6crawl.store.postings`, the changes since the last refresh merged in); None
    when the archive has no usable postings (none built, or the changes are no longer tracked). Read in one
    snapshot of the archive (the caller's, when it holds one)."""
    import numpy as np

    from .postings import read_tokens

    placed = set(with_positions)
    wanted = sorted(set(tokens) | placed)
    try:
        with read_snapshot(connection):
            state = _state(connection)
            if state is None or not state.postings_readable:
                return None
            stored = read_tokens(connection, wanted, placed) if wanted else {}
            if not state.pending:
                return stored
            changes = _pending_changes(connection, wanted)
    except sqlite3.OperationalError:  # an archive older than migration 0015, opened read-only
        return None
    changed = np.array(sorted(changes.old_status), dtype=np.int64)
    merged: dict[str, Postings] = {}
    for token in stored:
        now = {article: (count, changes.sizes[article]) for article, count in changes.after.get(token, {}).items()}
        now_positions = changes.positions.get(token, {}) if token in placed else None
        merged[token] = stored[token].merged(changed, now, now_positions)
    return merged


def top_lists_are_current(connection: sqlite3.Connection) -> bool:
    """Whether no article changed since the lists were last refreshed."""
    row = connection.execute("SELECT generation, top_generation FROM search_state").fetchone()
    return row is not None and row[0] == row[1]


@dataclass(frozen=True, slots=True)
class _State:
    generation: int
    pending: bool  # articles changed since the last refresh
    tracking: bool  # and the triggers recorded each of them
    tracked: int  # changed articles recorded
    base: IndexStats | None  # the index's figures when the lists were built (None: no lists)
    size: int | None
    min_articles: int | None
    changed_since_build: int
    postings_shift: int | None  # the postings' blocks (None: no postings, built by the next full build)

    @property
    def postings_readable(self) -> bool:
        """Built, and every change since the last refresh tracked (so a search can merge them in)."""
        return self.base is not None and self.postings_shift is not None and not (self.pending and not self.tracking)


def _state(connection: sqlite3.Connection) -> _State | None:
    columns = (
        "generation, top_generation, tracking, tracked, top_rows, top_tokens, top_size, top_min_articles,"
        " changed_since_build"
    )
    try:
        row = connection.execute(f"SELECT {columns}, postings_shift FROM search_state").fetchone()
    except sqlite3.OperationalError:  # an archive before migration 0015, opened read-only: lists, no postings
        row = connection.execute(f"SELECT {columns}, NULL FROM search_state").fetchone()
    if row is None:
        return None
    generation, top_generation, tracking, tracked, rows, tokens, size, min_articles, changed, shift = row
    base = IndexStats(rows, tokens) if rows and tokens else None
    pending = generation != top_generation
    return _State(generation, pending, bool(tracking), tracked, base, size, min_articles, changed, shift)


@dataclass(frozen=True, slots=True)
class _Changes:
    """The articles changed since the lists were refreshed, as the triggers recorded them."""

    old_status: dict[int, tuple[bool, str | None]]  # every changed article: archived then, and its status
    before: dict[str, set[int]]  # token -> the changed articles that held it then
    after: dict[str, dict[int, float]]  # token -> the changed articles holding it now -> weighted count
    status: dict[int, str | None]  # the changed articles in the archive now: their status
    sizes: dict[int, int]  # ... and their size in tokens
    positions: dict[str, dict[int, list[int]]]  # token -> the changed articles holding it now -> its places

    @classmethod
    def none(cls) -> _Changes:
        return cls({}, {}, {}, {}, {}, {})

    def was_live(self, article_id: int) -> bool:
        existed, status = self.old_status.get(article_id, (False, None))
        return existed and _counts_as_live(status)

    def is_live(self, article_id: int) -> bool:
        return article_id in self.status and _counts_as_live(self.status[article_id])


def _counts_as_live(status: str | None) -> bool:
    """As a search counts articles: every status but one other than 'live' (a row that sqlite-utils
    inserted without a status is searched)."""
    return status is None or status == "live"


def _pending_changes(connection: sqlite3.Connection, tokens: list[str] | None) -> _Changes:
    """The recorded changes, for ``tokens`` only (a search) or for every token (a refresh)."""
    old_status = {
        article_id: (bool(existed), status)
        for article_id, existed, status in connection.execute(
            "SELECT article_id, existed, old_status FROM search_changes"
        )
    }
    where, params = "", list(tokens or [])
    if tokens is not None:
        where = f" WHERE term IN ({', '.join('?' * len(tokens))})"
    before: dict[str, set[int]] = {}
    for term, article_id in connection.execute(
        f"SELECT DISTINCT term, doc FROM search_changes_before_terms{where}", params
    ):
        before.setdefault(term, set()).add(article_id)
    after: dict[str, dict[int, float]] = {}
    positions: dict[str, dict[int, list[int]]] = {}
    for term, article_id, column, place in connection.execute(
        f"SELECT term, doc, col, {_PLACE} FROM search_changes_after_terms{where}", params
    ):
        counts = after.setdefault(term, {})
        counts[article_id] = counts.get(article_id, 0.0) + COLUMN_WEIGHTS[column]
        positions.setdefault(term, {}).setdefault(article_id, []).append(place)
    present = set().union(*after.values()) if after else set()
    status: dict[int, str | None] = {}
    if present:
        listed = ", ".join(str(int(article_id)) for article_id in present)
        status = dict(connection.execute(f"SELECT id, status FROM articles WHERE id IN ({listed})").fetchall())
    sizes = document_sizes(connection, present) if present else {}
    return _Changes(old_status, before, after, status, sizes, positions)


def refresh_top_lists(
    connection: sqlite3.Connection,
    *,
    force: bool = False,
    min_articles: int = TOP_MIN_ARTICLES,
    size: int = TOP_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> TopListsBuilt | None:
    """Bring the top lists up to date with the index (None when they were current, unless ``force``).

    The articles changed since the last refresh are folded into the lists of the tokens they held or
    hold; a full rebuild when ``force``, when the lists were built with another ``min_articles`` or
    ``size``, or when the changes are too many to fold in (see the module's docstring). One transaction:
    readers see the old lists or the new ones, never a mix."""
    if not force and top_lists_are_current(connection):
        return None
    start = time.perf_counter()
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocabulary USING fts5vocab(main, articles_fts, row)"
    )
    connection.execute("BEGIN IMMEDIATE")
    try:
        state = _state(connection)
        assert state is not None  # migration 0005 inserts the row
        stats = index_stats(connection)
        if not force and stats is not None and _can_fold_in(state, stats, min_articles, size):
            changed = _fold_in_changes(connection, state, stats, progress)
            incremental = True
        else:
            changed = state.tracked if state.tracking else 0
            _build_lists(connection, stats, min_articles, size, progress)
            incremental = False
        for table in ("search_changes", "search_changes_before", "search_changes_after"):
            connection.execute(f"DELETE FROM {table}")
        connection.execute(
            "UPDATE search_state SET top_generation = generation, top_built_at = ?, tracked = 0",
            (datetime.now(UTC).isoformat(timespec="seconds"),),
        )
        tokens = connection.execute("SELECT COUNT(*) FROM search_top_terms").fetchone()[0]
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    connection.execute("DROP TABLE IF EXISTS temp.search_vocabulary")
    return TopListsBuilt(tokens, time.perf_counter() - start, state.generation, changed, incremental)


def _can_fold_in(state: _State, stats: IndexStats, min_articles: int, size: int) -> bool:
    """Whether the recorded changes can be folded into the lists, or the lists must be built anew."""
    if not state.tracking or state.base is None or (state.min_articles, state.size) != (min_articles, size):
        return False
    if state.postings_shift is None:  # an archive from before the postings (migration 0015)
        return False
    if state.changed_since_build + state.tracked > REBUILD_SHARE * stats.rows:
        return False
    return abs(stats.avgdl / state.base.avgdl - 1) <= REBUILD_AVGDL_DRIFT


def _fold_in_changes(
    connection: sqlite3.Connection, state: _State, stats: IndexStats, progress: Callable[[int, int], None] | None
) -> int:
    """Update the lists of the tokens the changed articles held or hold: their article counts, the
    changed articles' entries (kept when they saturate above the list's threshold at the lists' average
    size), and, when a list grew past its size, its weakest entries dropped with the threshold raised to
    them. Every unlisted article still saturates at most at the threshold. The number of changed articles."""
    assert state.base is not None and state.size is not None and state.postings_shift is not None
    changes = _pending_changes(connection, None)
    base_avgdl = state.base.avgdl
    lists = {
        term: [articles, live, threshold]
        for term, articles, live, threshold in connection.execute(
            "SELECT term, articles, live_articles, threshold FROM search_top_terms"
        )
    }
    touched = sorted((set(changes.before) | set(changes.after)) & set(lists))
    if changes.old_status:
        listed = ", ".join(str(int(article_id)) for article_id in changes.old_status)
        connection.execute(f"DELETE FROM search_top WHERE article_id IN ({listed})")
    for done, term in enumerate(touched, 1):
        before, after = changes.before.get(term, set()), changes.after.get(term, {})
        counts = lists[term]
        counts[0] += len(after) - len(before)
        counts[1] += sum(changes.is_live(a) for a in after) - sum(changes.was_live(a) for a in before)
        entering = [
            (term, article_id, frequency, changes.sizes[article_id])
            for article_id, frequency in after.items()
            if saturation(frequency, changes.sizes[article_id], base_avgdl) > counts[2]
        ]
        if entering:
            connection.executemany(
                "INSERT INTO search_top (term, article_id, frequency, size) VALUES (?, ?, ?, ?)", entering
            )
            counts[2] = _trim(connection, term, state.size, base_avgdl, counts[2])
        connection.execute(
            "UPDATE search_top_terms SET articles = ?, live_articles = ?, threshold = ? WHERE term = ?",
            (*counts, term),
        )
        if progress is not None:
            progress(done, len(touched))
    from .postings import fold_token

    # The postings of every term that has some (not only those with a list: either table may be emptied alone).
    posted = {row[0] for row in connection.execute("SELECT DISTINCT term FROM search_postings")}
    for term in sorted((set(changes.before) | set(changes.after)) & posted):
        before, after = changes.before.get(term, set()), changes.after.get(term, {})
        now = {article_id: (frequency, changes.sizes[article_id]) for article_id, frequency in after.items()}
        placed = changes.positions.get(term, {})
        fold_token(connection, term, state.postings_shift, before | set(after), now, placed)
    connection.execute(
        "UPDATE search_state SET changed_since_build = changed_since_build + ?", (len(changes.old_status),)
    )
    return len(changes.old_status)


def _trim(connection: sqlite3.Connection, term: str, size: int, avgdl: float, threshold: float) -> float:
    """Drop a list's weakest entries beyond ``size``; the threshold that then bounds every unlisted article."""
    query = "SELECT article_id, frequency, size FROM search_top WHERE term = ?"
    entries = connection.execute(query, (term,)).fetchall()
    if len(entries) <= size:
        return threshold
    ranked = sorted((saturation(frequency, length, avgdl), article_id) for article_id, frequency, length in entries)
    dropped = ranked[: len(entries) - size]
    connection.executemany(
        "DELETE FROM search_top WHERE term = ? AND article_id = ?", [(term, article_id) for _, article_id in dropped]
    )
    return max(threshold, dropped[-1][0])


def _build_lists(
    connection: sqlite3.Connection,
    stats: IndexStats | None,
    min_articles: int,
    size: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Build every list anew from FTS5's own ranking, and start tracking changes."""
    for table in ("search_top", "search_top_terms", "search_postings"):
        connection.execute(f"DELETE FROM {table}")
    if stats is None:  # an empty index: no lists, nothing to track
        connection.execute(
            "UPDATE search_state SET top_rows = NULL, top_tokens = NULL, tracking = 0, changed_since_build = 0,"
            " postings_shift = NULL"
        )
        return
    frequent = connection.execute(
        "SELECT term, doc FROM temp.search_vocabulary WHERE doc >= ? ORDER BY term", (min_articles,)
    ).fetchall()
    searchable = _searched_as_themselves(connection, [term for term, _ in frequent])
    frequent = [(term, articles) for term, articles in frequent if term in searchable]
    import numpy as np

    from .postings import block_shift
    from .postings import write_token as write_postings

    connection.execute("DROP TABLE IF EXISTS temp.search_instances")
    connection.execute("CREATE VIRTUAL TABLE temp.search_instances USING fts5vocab(main, articles_fts, instance)")

    sizes = document_sizes(connection) if frequent else {}
    sized_ids = np.array(sorted(sizes), dtype=np.int64)
    sized = np.array([sizes[article_id] for article_id in sized_ids.tolist()], dtype=np.float64)
    shift = block_shift(stats.rows, int(sized_ids[-1]) if len(sized_ids) else 0)
    avgdl = stats.avgdl
    # With no gone article (the usual case), a token's live articles are all its articles: no count.
    all_live = not connection.execute(f"SELECT EXISTS (SELECT 1 FROM articles WHERE {NOT_LIVE})").fetchone()[0]
    for done, (term, articles) in enumerate(frequent, 1):
        phrase = '"' + term.replace('"', '""') + '"'
        scored = connection.execute(f"SELECT rowid, -{BM25} FROM articles_fts WHERE articles_fts MATCH ?", (phrase,))
        matches = np.array(scored.fetchall(), dtype=np.float64).reshape(-1, 2)
        found = _all_entries(matches, idf(stats.rows, articles), sized_ids, sized, avgdl)
        if found is not None:
            ids, frequencies, lengths, scores = found
            best = np.lexsort((ids, -scores))[:size]  # ORDER BY score DESC, rowid: FTS5's own order
            connection.executemany(
                "INSERT INTO search_top (term, article_id, frequency, size) VALUES (?, ?, ?, ?)",
                zip(repeat(term), ids[best].tolist(), frequencies[best].tolist(), lengths[best].astype(int).tolist()),
            )
            counts, positions = _token_positions(connection, term, ids, frequencies)
            write_postings(connection, term, ids, frequencies, lengths, shift, counts, positions)
            last = best[-1]
            threshold = saturation(frequencies[last], int(lengths[last]), avgdl) if len(best) >= size else 0.0
            live = articles
            if not all_live:
                live = connection.execute(
                    "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?"
                    f" AND +rowid NOT IN (SELECT id FROM articles WHERE {NOT_LIVE})",
                    (phrase,),
                ).fetchone()[0]
            connection.execute(
                "INSERT INTO search_top_terms (term, articles, live_articles, threshold) VALUES (?, ?, ?, ?)",
                (term, articles, live, float(threshold)),
            )
        if progress is not None:
            progress(done, len(frequent))
    connection.execute("DROP TABLE temp.search_instances")
    connection.execute(
        "UPDATE search_state SET top_rows = ?, top_tokens = ?, top_size = ?, top_min_articles = ?, tracking = 1,"
        " track_limit = ?, changed_since_build = 0, postings_shift = ?",
        (stats.rows, stats.tokens, size, min_articles, max(TRACK_MIN, int(stats.rows * TRACK_SHARE)), shift),
    )


def _all_entries(
    matches: np.ndarray, weight: float, sized_ids: np.ndarray, sized: np.ndarray, avgdl: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(ids, weighted counts, sizes, scores) of a token's matches (``matches``: rows of rowid and FTS5's
    score, in rowid order), each count read back from the score; None unless FTS5's formula gives back every
    score to the last bit, or for an id beyond 32 bits (the postings' width): the token then gets no list."""
    import numpy as np

    ids, scores = matches[:, 0].astype(np.int64), matches[:, 1]
    at = np.searchsorted(sized_ids, ids)
    if not len(ids) or ids[-1] >= 2**32 or (at >= len(sized_ids)).any():
        return None
    if (sized_ids[at] != ids).any():
        return None
    sizes = sized[at]
    scale = K1 * (1 - B + B * sizes / avgdl)
    part = scores / weight
    if not ((part > 0.0) & (part < K1 + 1.0)).all():
        return None
    frequencies = np.round(part * scale / (K1 + 1.0 - part) / FREQUENCY_STEP) * FREQUENCY_STEP
    # saturation() on arrays: the same operations in the same order, each correctly rounded as in C
    back = weight * ((frequencies * (K1 + 1.0)) / (frequencies + K1 * (1 - B + B * sizes / avgdl)))
    if not ((frequencies > 0) & (back == scores)).all():
        return None
    return ids, frequencies, sizes, scores


def _token_positions(
    connection: sqlite3.Connection, term: str, ids: np.ndarray, frequencies: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Where ``term`` stands in each of its articles (``ids``, with its weighted ``frequencies`` there): the
    count in each and the places (``offset << COLUMN_BITS | column``, each article's ascending), read from
    FTS5's own instances (``temp.search_instances``); (None, None) unless they give back every article and
    every weighted count, or a place is at ``PLACE_LIMIT`` or beyond."""
    import numpy as np

    from .postings import PLACE_LIMIT

    listed = connection.execute(
        f"SELECT group_concat(doc || ',' || ({_PLACE})) FROM temp.search_instances WHERE term = ?", (term,)
    ).fetchone()[0]
    pairs = np.fromstring(listed or "", dtype=np.int64, sep=",").reshape(-1, 2)
    docs, places = pairs[:, 0], pairs[:, 1]
    order = np.lexsort((places, docs))
    docs, places = docs[order], places[order]
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]]) if len(docs) else np.array([], dtype=np.int64)
    if (
        len(starts) != len(ids)
        or not np.array_equal(docs[starts], ids)
        or (len(places) and places.max() >= PLACE_LIMIT)
    ):
        return None, None
    steps = np.array(COLUMN_STEPS)[places & COLUMN_MASK]
    if len(starts) and not np.array_equal(np.add.reduceat(steps, starts), np.rint(frequencies / FREQUENCY_STEP)):
        return None, None
    counts = np.diff(np.r_[starts, len(docs)])
    return counts, places


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

# Migration 0010 runs these: lists that keep each article's weighted count and size (their scores follow
# the index), the changes since the last refresh, and triggers that fire only on real changes.
_SEARCHED_COLUMNS = ("id", *FTS_COLUMNS, "status")
_REAL_CHANGE = " OR ".join(f"old.{column} IS NOT new.{column}" for column in _SEARCHED_COLUMNS)
_TRACKING = "(SELECT tracking FROM search_state)"
_RECORDED = "EXISTS (SELECT 1 FROM search_changes WHERE article_id = {row}.id)"
_TEXT = ", ".join(FTS_COLUMNS)


def _record_old_row() -> str:
    """The trigger statements that record the old row's state (its first change since the refresh only)."""
    recorded = _RECORDED.format(row="old")
    return (
        f"UPDATE search_state SET tracked = tracked + 1 WHERE NOT {recorded};"
        f" INSERT INTO search_changes_before (rowid, {_TEXT})"
        f" SELECT old.id, {', '.join(f'old.{column}' for column in FTS_COLUMNS)} WHERE NOT {recorded};"
        " INSERT OR IGNORE INTO search_changes (article_id, existed, old_status) VALUES (old.id, 1, old.status);"
        " DELETE FROM search_changes_after WHERE rowid = old.id;"
    )


def _record_new_row() -> str:
    """The trigger statements that record the new row (its text now)."""
    return (
        f"UPDATE search_state SET tracked = tracked + 1 WHERE NOT {_RECORDED.format(row='new')};"
        " INSERT OR IGNORE INTO search_changes (article_id, existed, old_status) VALUES (new.id, 0, NULL);"
        " DELETE FROM search_changes_after WHERE rowid = new.id;"
        f" INSERT INTO search_changes_after (rowid, {_TEXT})"
        f" VALUES (new.id, {', '.join(f'new.{column}' for column in FTS_COLUMNS)});"
    )


_STOP_TRACKING = "UPDATE search_state SET tracking = 0 WHERE tracked > track_limit;"


def changes_schema(tokenize: str) -> tuple[str, ...]:
    """The statements of migration 0010; ``tokenize`` is ``articles_fts``'s (the changed texts must be
    split into the index's own terms)."""
    columns = ", ".join(FTS_COLUMNS)
    searched = ", ".join(_SEARCHED_COLUMNS)
    return (
        *(f"DROP TRIGGER IF EXISTS search_generation_{name}" for name in ("insert", "delete", "update")),
        "DROP TABLE IF EXISTS search_top",
        "CREATE TABLE search_top ("
        " term TEXT NOT NULL, article_id INTEGER NOT NULL, frequency REAL NOT NULL, size INTEGER NOT NULL,"
        " PRIMARY KEY (term, article_id)) WITHOUT ROWID",
        "CREATE INDEX search_top_articles ON search_top (article_id)",
        "DROP TABLE IF EXISTS search_top_terms",
        "CREATE TABLE search_top_terms ("
        " term TEXT PRIMARY KEY, articles INTEGER NOT NULL, live_articles INTEGER NOT NULL, threshold REAL NOT NULL)"
        " WITHOUT ROWID",
        *(
            f"ALTER TABLE search_state ADD COLUMN {column}"
            for column in (
                "top_rows INTEGER",
                "top_tokens INTEGER",
                "top_size INTEGER",
                "top_min_articles INTEGER",
                "tracking INTEGER NOT NULL DEFAULT 0",
                "tracked INTEGER NOT NULL DEFAULT 0",
                "track_limit INTEGER NOT NULL DEFAULT 0",
                "changed_since_build INTEGER NOT NULL DEFAULT 0",
            )
        ),
        "UPDATE search_state SET generation = generation + 1, tracking = 0",  # the lists are gone: stale
        "CREATE TABLE search_changes (article_id INTEGER PRIMARY KEY, existed INTEGER NOT NULL, old_status TEXT)",
        f"CREATE VIRTUAL TABLE search_changes_before USING fts5({columns}, tokenize={tokenize})",
        f"CREATE VIRTUAL TABLE search_changes_after USING fts5({columns}, tokenize={tokenize})",
        "CREATE VIRTUAL TABLE search_changes_before_terms USING fts5vocab(search_changes_before, instance)",
        "CREATE VIRTUAL TABLE search_changes_after_terms USING fts5vocab(search_changes_after, instance)",
        "CREATE TRIGGER search_generation_insert AFTER INSERT ON articles"
        " BEGIN UPDATE search_state SET generation = generation + 1; END",
        "CREATE TRIGGER search_generation_delete AFTER DELETE ON articles"
        " BEGIN UPDATE search_state SET generation = generation + 1; END",
        f"CREATE TRIGGER search_generation_update AFTER UPDATE OF {searched} ON articles WHEN {_REAL_CHANGE}"
        " BEGIN UPDATE search_state SET generation = generation + 1; END",
        f"CREATE TRIGGER search_changes_insert AFTER INSERT ON articles WHEN {_TRACKING}"
        f" BEGIN {_record_new_row()} {_STOP_TRACKING} END",
        f"CREATE TRIGGER search_changes_delete AFTER DELETE ON articles WHEN {_TRACKING}"
        f" BEGIN {_record_old_row()} {_STOP_TRACKING} END",
        f"CREATE TRIGGER search_changes_update AFTER UPDATE OF {searched} ON articles"
        f" WHEN {_TRACKING} AND ({_REAL_CHANGE})"
        f" BEGIN {_record_old_row()} {_record_new_row()} {_STOP_TRACKING} END",
    )
