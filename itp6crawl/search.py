"""Full-text search over the archive (Chinese and English), and the other read queries.

Queries use the language of :mod:`itp6crawl.query`: segmented exactly like the indexed columns, every
token quoted, so any input is a valid FTS5 query or one clear :class:`QueryError`. Ranking is BM25 with
the title weighted above the body; filters by category, tag, author and date; sorting by date.
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .concept_terms import concept_feature
from .postings_search import PostingsSearch
from .query import MATCH_NOTHING, Query, QueryError, parse, reparse, with_alternatives, zh_fts
from .store.datasets import (
    ARTICLE_FILTERS,
    ARTICLE_FILTERS_BY_ROW,
    ARTICLE_FILTERS_WITHOUT_LABELS,
    LABEL_VALUE,
    NOT_LIVE,
    has_article_labels,
    label_ids,
)
from .store.features import JOINED_TERMS, has_feature
from .store.readonly import ArchiveError, ArchiveMissing, connect_readonly, matches_up_to
from .store.toplists import BM25, TopList, index_tokenizer, top_lists
from .text import LATIN_WORD, Segmenter, normalise_with_origin, porter_stem, query_joined_term

if TYPE_CHECKING:
    from .spelling import Correction

SNIPPET_CHARS = 80


@dataclass(slots=True)
class Hit:
    id: int
    url: str
    title: str
    published_at: str | None
    categories: list[str]
    score: float  # bm25, higher is better
    snippet: str  # a window of the body around the first match, as the article writes it
    snippet_matches: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each match in it


@dataclass(frozen=True, slots=True)
class Snippet:
    """A window of an article's text and where the query matched in it: ``text`` as the article writes
    it (whitespace folded, ``…`` where it is cut), ``matches`` the (start, end) offsets of each match in
    ``text``, in order, never overlapping. Nothing is added to the text to mark a match: the site writes
    【解读】 and 【指南原文】 itself, so brackets in the text could not tell a match from the text."""

    text: str
    matches: list[tuple[int, int]]

    def parts(self) -> Iterator[tuple[str, bool]]:
        """The text in pieces, each with whether it is a match (for terminal styles or ``<mark>``)."""
        position = 0
        for start, end in self.matches:
            if start > position:
                yield self.text[position:start], False
            yield self.text[start:end], True
            position = end
        if position < len(self.text):
            yield self.text[position:], False

    def marked(self, before: str = "【", after: str = "】") -> str:
        """The text with each match between ``before`` and ``after``, and the markers' own occurrences in
        the text replaced (【】 by 〖〗) or dropped (any other marker), so every marker left is a match's."""

        def plain(part: str) -> str:
            for marker in dict.fromkeys(filter(None, (before, after))):
                part = part.replace(marker, _MARKER_IN_TEXT.get(marker, ""))
            return part

        return "".join(f"{before}{plain(part)}{after}" if hit else plain(part) for part, hit in self.parts())


_MARKER_IN_TEXT = {"【": "〖", "】": "〗"}  # the default markers, where the text itself writes them


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS, prefixes: Collection[str] = ()) -> Snippet:
    """A window of ``text`` around the first match of ``terms`` (a query's normalised tokens, the
    ``prefixes`` among them matching as prefixes) and the matches in it.

    Matches are found as the index finds them: a word of Latin letters and digits matches a whole word
    of the text with the same stem (``research`` matches Researches and researching, never the research
    inside ``researchgate``), a term of several words (``cd4+cd25+``, ``10^9/l``) those words in a row, a
    Chinese word wherever the text holds it. Folding (full-width, Traditional,
    case) is undone for the offsets: they point into the text as the article writes it."""
    folded, origin = normalise_with_origin(text)
    spans = _matches(folded, [term for term in terms if term], set(prefixes))
    first = origin[spans[0][0]] if spans else 0
    start = max(0, first - width // 3)
    lead = "…" if start else ""
    shown, places = _folded_whitespace(text[start : start + width])
    matches: list[tuple[int, int]] = []
    for span_start, span_end in spans:
        begin, end = max(origin[span_start], start), min(origin[span_end - 1] + 1, start + width)
        visible = [places[i - start] for i in range(begin, end) if places[i - start] is not None]
        if visible:
            matches.append((len(lead) + visible[0], len(lead) + visible[-1] + 1))  # type: ignore[operator]
    tail = "…" if start + width < len(text) else ""
    return Snippet(lead + shown + tail, matches)


def _folded_whitespace(window: str) -> tuple[str, list[int | None]]:
    """``" ".join(window.split())`` and, for each character of ``window``, its place in that (None for
    whitespace)."""
    places: list[int | None] = [None] * len(window)
    runs: list[str] = []
    cursor = 0
    for run in _NOT_SPACE.finditer(window):
        places[run.start() : run.end()] = range(cursor, cursor + len(run[0]))
        runs.append(run[0])
        cursor += len(run[0]) + 1
    return " ".join(runs), places


_NOT_SPACE = re.compile(r"\S+")


def _matches(folded: str, terms: list[str], prefixes: set[str]) -> list[tuple[int, int]]:
    """(start, end) of every match of ``terms`` in ``folded``, leftmost first and longest first at one
    place, never overlapping."""
    found: list[tuple[int, int]] = []
    words: list[tuple[int, int, str]] = []  # the text's Latin words, stemmed, found once
    by_stem: dict[str, list[int]] = {}  # their places by stem
    for term in dict.fromkeys(terms):
        pieces = LATIN_WORD.findall(term)
        if not pieces:  # Chinese: wherever the text writes it
            position = folded.find(term)
            while position >= 0:
                found.append((position, position + len(term)))
                position = folded.find(term, position + 1)
            continue
        if not by_stem:
            words = [(word.start(), word.end(), porter_stem(word[0])) for word in LATIN_WORD.finditer(folded)]
            for place, word in enumerate(words):
                by_stem.setdefault(word[2], []).append(place)
        stems = [porter_stem(piece) for piece in pieces]
        prefix = term in prefixes
        if prefix and len(stems) == 1:
            firsts = [place for place, word in enumerate(words) if word[2].startswith(stems[0])]
        else:
            firsts = by_stem.get(stems[0], [])
        for first in firsts:
            run = words[first : first + len(stems)]
            if len(run) < len(stems) or any(word[2] != stem for word, stem in zip(run[1:-1], stems[1:-1], strict=True)):
                continue
            last = run[-1][2]
            if len(stems) > 1 and not (last.startswith(stems[-1]) if prefix else last == stems[-1]):
                continue
            if any(not _separates(folded[one[1] : two[0]]) for one, two in pairwise(run)):
                continue
            end = run[-1][1]
            while term.endswith("+") and end < len(folded) and folded[end] == "+":  # CD4+: its plus too
                end += 1
            found.append((run[0][0], end))
    chosen: list[tuple[int, int]] = []
    for span in sorted(found, key=lambda span: (span[0], -span[1])):
        if not chosen or span[0] >= chosen[-1][1]:
            chosen.append(span)
    return chosen


def _separates(gap: str) -> bool:
    """Whether the text between two words keeps them adjacent in the index: no letter, digit or Han
    character between them, only punctuation and spaces."""
    return bool(gap) and not any(char.isalnum() for char in gap)


def _prefixes(query: Query) -> set[str]:
    """The query's words typed as prefixes (``eltrombo*``): the last word of each starred phrase."""
    return {phrase.replace('""', '"').split(" ")[-1] for phrase, star in _PHRASE.findall(query.match) if star}


def zh_snippet_matches(body_text: str | None, query: str | None) -> Snippet:
    """The :class:`Snippet` of ``body_text`` for a query in the query language: its text and the offsets
    of its matches. A query with nothing to search for gives the window without matches."""
    try:
        parsed = parse(query or "")
    except QueryError:
        return snippet(body_text or "", [])
    return snippet(body_text or "", parsed.terms, prefixes=_prefixes(parsed))


def zh_snippet(body_text: str | None, query: str | None, before: str = "【", after: str = "】") -> str:
    """The plugins' SQL function ``zh_snippet(body_text, query)``: the snippet with each match between
    【 and 】, the text's own 【】 shown as 〖〗, so that every 【】 left is a match. With four arguments,
    ``zh_snippet(body_text, query, before, after)`` marks matches with markers of the caller's choice
    (dropping their occurrences in the text): ``char(57344)`` and ``char(57345)``, private-use
    characters, let a renderer put ``<mark>`` exactly around the matches."""
    return zh_snippet_matches(body_text, query).marked(before, after)


SORTS = {
    "relevance": "rank, articles_fts.rowid",
    "newest": "articles.published_at DESC, articles.id DESC",
    "oldest": "articles.published_at ASC, articles.id ASC",
}


class Hits(list[Hit]):
    """The hits of one page of results (a list), with the ``total`` number of matches, the parsed query
    (its ``expansions``: the other names searched) and the ``corrections`` searched too ("did you mean")."""

    def __init__(self, hits: list[Hit], total: int, query: Query, corrections: list[Correction] | None = None) -> None:
        super().__init__(hits)
        self.total = total
        self.query = query
        self.corrections = corrections or []


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
    exact: bool = False,
) -> Hits:
    """Live articles matching ``query`` (the language of :mod:`itp6crawl.query`), best first or by date.

    ``category``, ``tag`` (exact names) and ``author`` (nickname or credit) filter; ``since`` and
    ``until`` are dates (``YYYY-MM-DD``, inclusive) on the publication time. A word that names a concept of
    the vocabulary searches all its names (``hits.query.expansions`` says which) unless ``exact``. Raises
    :class:`~itp6crawl.query.QueryError` for a query with nothing to search, ``ValueError`` for a bad
    ``sort``, :class:`ArchiveError` when the archive cannot be read."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    parsed = parse(query, segmenter, expand=not exact)
    # The FTS index does the matching, counting and ranking on its own; articles are read only for the
    # filters (their early, narrow columns) and for the page's rows. Joining every match to its article
    # row for the count would read each wide row (the body, the HTML) and costs seconds at 20,000 articles.
    # The unary + keeps SQLite from handing the rowid lists to FTS5, which would rerun the MATCH per rowid.
    chosen = {"category": category, "tag": tag, "author": author, "since": since, "until": until}
    params: dict[str, object] = {"match": parsed.match, "limit": limit, "offset": offset}
    params.update({name: value for name, value in chosen.items() if value})
    with connect_readonly(path) as connection:  # one snapshot of the archive (a read transaction)
        if options := index_options(connection):  # technical terms and concepts as the index's tokens
            parsed = parse(query, segmenter, expand=not exact, **options)
            params["match"] = parsed.match
        where, row_filters = _filtered(connection, [name for name, value in chosen.items() if value])
        # Checking every match against the few gone articles costs as much as finding the matches.
        all_live = not connection.execute(f"SELECT EXISTS (SELECT 1 FROM articles WHERE {NOT_LIVE})").fetchone()[0]
        if not all_live:
            where.append(f"+articles_fts.rowid NOT IN (SELECT id FROM articles WHERE {NOT_LIVE})")
        postings = PostingsSearch(connection)
        matches = _Matches(" AND ".join(where), row_filters, params, all_live, postings)
        corrections: list[Correction] = []
        if not exact:
            parsed, corrections = corrected(connection, parsed, segmenter, postings)
            params["match"] = parsed.match
        total, page = _page_with_names(connection, parsed, matches, sort, segmenter)
        ids = [row[0] for row in page]
        prefixes = _prefixes(parsed)
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
            snippet=found.text,
            snippet_matches=found.matches,
        )
        for article_id, score in page
        for found in [snippet(rows[article_id]["body_text"] or "", parsed.terms, prefixes=prefixes)]
    ]
    return Hits(hits, total, parsed, corrections)


RANK_NAMES_BELOW = 2000  # a concept's name in at most this many articles is ranked apart (see below)


def _page_with_names(
    connection: sqlite3.Connection, query: Query, matches: _Matches, sort: str, segmenter: Segmenter | None
) -> tuple[int, list[Any]]:
    """:func:`_page` for a query that names concepts, as fast as a query of their common names.

    A concept's names are mostly rare in the archive (another language, a brand, an old name) and one or
    two are common. An article holding none of the rare names matches the query without them as it matches
    the whole query, with the same bm25 (a phrase absent from an article adds 0; each phrase's idf is its
    own). So the query without its rare names answers with its fast paths (top lists), the few articles
    holding a rare name are scored with the whole expression, and the two merge: the same page and total
    as ranking every match (tests compare both)."""
    if sort != "relevance" or not query.units:
        return _page(connection, query, matches, sort)
    rare = frozenset(
        unit for unit in query.units if matches_up_to(connection, unit, RANK_NAMES_BELOW + 1) <= RANK_NAMES_BELOW
    )
    if not rare:
        return _page(connection, query, matches, sort)
    params = matches.params
    rare_match = " OR ".join(sorted(rare))
    holding = [  # an AND led by the rare names' few articles
        row[0]
        for row in connection.execute(
            f"SELECT articles_fts.rowid FROM articles_fts WHERE {matches.condition} LIMIT {RANK_NAMES_BELOW + 1}",
            {**params, "match": f"({query.match}) AND ({rare_match})"},
        )
    ]
    if len(holding) > RANK_NAMES_BELOW:  # the rare names together are not rare
        return _page(connection, query, matches, sort)
    core = reparse(query, segmenter=segmenter, drop=rare)
    scored: list[Any] = []
    core_too: set[int] = set()  # those that match without their rare names too
    if holding:
        listed = ", ".join(map(str, holding))  # rowids from the index: integers
        # The unary + keeps the ids away from FTS5: handed to it, each id is a query of its own whose bm25
        # counts every phrase's articles again (1 ms apiece); kept here, one pass over the matches scores them.
        scored = connection.execute(
            f"SELECT rowid, {BM25} FROM articles_fts WHERE articles_fts MATCH ? AND +rowid IN ({listed})",
            (query.match,),
        ).fetchall()
        core_too = {
            row[0]
            for row in connection.execute(
                f"SELECT articles_fts.rowid FROM articles_fts WHERE {matches.condition}",
                {**params, "match": f"({core.match}) AND ({rare_match})"},
            )
        }
    wanted = params["limit"] + params["offset"]
    core_params = {**params, "match": core.match, "limit": wanted + len(core_too), "offset": 0}
    core_total, core_page = _page(connection, core, replace(matches, params=core_params), sort)
    held = set(holding)
    merged = sorted(
        [*(pair for pair in core_page if pair[0] not in held), *scored], key=lambda pair: (pair[1], pair[0])
    )
    return core_total + len(held - core_too), [tuple(pair) for pair in merged[params["offset"] : wanted]]


def _page(connection: sqlite3.Connection, query: Query, matches: _Matches, sort: str) -> tuple[int, list[Any]]:
    """The match count and the page of (rowid, rank) pairs asked for in ``matches.params``."""
    params = matches.params
    total, page = None, None
    if sort == "relevance":
        wanted = params["limit"] + params["offset"]
        listed = _listed_query(query)
        one_word = listed is not None and len(set(listed.tokens)) == 1 and not matches.filters
        if one_word:  # a top list answers most in a millisecond or two
            total, page = _rank_from_top_lists(connection, query, matches, wanted)
        if page is None and (answer := _rank_from_postings(query, matches, wanted)) is not None:
            total, page = answer
        if page is None and not one_word:
            total, page = _rank_from_top_lists(connection, query, matches, wanted)
    if total is None and page is None and sort == "relevance" and matches.filters:
        total, page = _rank_filtered(connection, matches, params["limit"] + params["offset"])
    if total is None:
        total = matches.count(connection)
    if page is not None:
        return total, page[params["offset"] :]
    join = "" if sort == "relevance" else " JOIN articles ON articles.id = articles_fts.rowid"
    page = connection.execute(
        f"SELECT articles_fts.rowid, {BM25} AS rank FROM articles_fts{join} WHERE {matches.condition}"
        f" ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset",
        params,
    ).fetchall()
    return total, page


def search_notes(hits: Hits) -> list[str]:
    """What a reader is told besides the hits: the other names searched, the corrections searched too."""
    return _notes(hits.query, hits.corrections)


def _notes(query: Query, corrections: list[Correction]) -> list[str]:
    notes = [f"also searched: {expansion}" for expansion in query.expansions]
    notes += [f"did you mean: {' / '.join(correction.texts)}? (searched too)" for correction in corrections]
    return notes


def zh_search_notes(connection: sqlite3.Connection, text: str | None) -> str | None:
    """The plugins' ``zh_search_notes(:q)``: :func:`search_notes` of the query on this archive, one line
    (``; `` between notes), or None when there is nothing to say."""
    try:
        query = parse(text or "", **index_options(connection))
    except QueryError:
        return None
    return "; ".join(_notes(*corrected(connection, query))) or None


def register_sql_functions(connection: sqlite3.Connection) -> None:
    """The search's SQL functions on ``connection`` (the Datasette and sqlite-utils plugins): ``zh_fts(:q)``
    (``zh_fts(:q, 'exact')``), ``zh_search_notes(:q)`` and ``zh_snippet``. On an archive, ``zh_fts`` makes the
    corrections a search makes, so SQL finds what the CLI finds."""
    if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone():
        connection.create_function("zh_fts", 1, lambda text: zh_fts_corrected(connection, text))
        connection.create_function("zh_fts", 2, lambda text, mode: zh_fts_corrected(connection, text, mode))
        connection.create_function("zh_search_notes", 1, lambda text: zh_search_notes(connection, text))
    else:  # no archive: the query language alone
        connection.create_function("zh_fts", 1, zh_fts, deterministic=True)
        connection.create_function("zh_fts", 2, zh_fts, deterministic=True)
    connection.create_function("zh_snippet", 2, zh_snippet, deterministic=True)
    connection.create_function("zh_snippet", 4, zh_snippet, deterministic=True)  # markers of the caller's choice


FEW_HITS = 3  # a query finding fewer articles looks for misspellings (:func:`itp6crawl.store.lexicon.did_you_mean`)


def corrected(
    connection: sqlite3.Connection,
    query: Query,
    segmenter: Segmenter | None = None,
    postings: PostingsSearch | None = None,
) -> tuple[Query, list[Correction]]:
    """``query`` with what its misspelt words may have meant searched too, and those corrections; the query
    itself when it finds ``FEW_HITS`` articles or more in the archive (filters aside), or nothing looks
    misspelt. Every tool asks this of the whole archive, so the CLI, Datasette and SQL find the same."""

    up_to = (postings or PostingsSearch(connection)).count_up_to  # an AND finding none: fast in the postings

    def matching(text: str, at_most: int) -> int:
        try:
            match = reparse(query, text, segmenter).match
        except QueryError:
            return 0
        return up_to(match, at_most)

    if up_to(query.match, FEW_HITS) >= FEW_HITS:
        return query, []
    from .store.lexicon import did_you_mean  # here: pinyin and edit distances are for the few that find little

    corrections = did_you_mean(connection, query.text, segmenter, few=FEW_HITS, matching=matching)
    if not corrections:
        return query, []
    alternatives = {correction.typed: correction.texts for correction in corrections}
    return reparse(query, with_alternatives(query.text, alternatives), segmenter), corrections


def zh_fts_corrected(connection: sqlite3.Connection, text: str | None, mode: str | None = None) -> str:
    """The plugins' ``zh_fts(:q)`` on an archive: :func:`itp6crawl.query.zh_fts` with the corrections a
    search makes (:func:`corrected`), so SQL finds what the CLI finds; ``zh_fts(:q, 'exact')`` makes none."""
    options = index_options(connection)  # technical terms and concepts as the archive's index holds them
    if mode not in (None, "expand"):
        return zh_fts(text, mode, **options)  # exact: no corrections (any other mode: zh_fts's own error)
    try:
        query = parse(text or "", **options)
    except QueryError:
        return MATCH_NOTHING
    return corrected(connection, query)[0].match


def index_options(connection: sqlite3.Connection) -> dict[str, bool]:
    """The :func:`itp6crawl.query.parse` options this archive's index serves (its ``search_features``):
    technical terms as joined tokens, concepts as their tokens (made from this vocabulary); only the
    true ones, so an archive without either parses as every archive does."""
    options = {
        "joined_terms": has_feature(connection, JOINED_TERMS),
        "concept_terms": has_feature(connection, concept_feature()),
    }
    return {name: True for name, served in options.items() if served}


def _rank_filtered(
    connection: sqlite3.Connection, matches: _Matches, wanted: int
) -> tuple[int, list[tuple[int, float]]]:
    """The count and the best ``wanted`` (rowid, rank) of a filtered search, from one pass over its matches:
    a count and then a ranking would each read the word's whole posting list (25 ms apiece for a word in
    nearly every one of 100,000 articles), while the filtered matches are few enough to rank in Python."""
    scored = connection.execute(
        f"SELECT articles_fts.rowid, {BM25} AS rank FROM articles_fts WHERE {matches.condition}", matches.params
    ).fetchall()
    return len(scored), heapq.nsmallest(wanted, scored, key=lambda row: (row[1], row[0]))  # SORTS["relevance"]


def _filtered(connection: sqlite3.Connection, chosen: list[str]) -> tuple[list[str], list[str]]:
    """The WHERE of ``articles_fts`` for the ``chosen`` filters (names of :data:`ARTICLE_FILTERS`), and
    the filters as conditions on a few known ``articles`` rows (for checking a page's candidates).

    A label (category, tag, author) is one range of ``article_labels``: the matches are checked against
    its ids, read once into a temporary index (FTS5 finds the matches of even a word in nearly every
    article in a few milliseconds, while asking FTS5 about each id of the label reruns the MATCH per id).
    Dates are conditions on ``articles``. The unary + keeps SQLite from handing the rowid lists to FTS5,
    which would rerun the MATCH per rowid. An archive older than the labels filters with json_each()."""
    where = ["articles_fts MATCH :match"]
    if not chosen:
        return where, []
    if not has_article_labels(connection):
        filters = [ARTICLE_FILTERS_WITHOUT_LABELS[name] for name in chosen]
        where.append("+articles_fts.rowid IN (SELECT id FROM articles WHERE " + " AND ".join(filters) + ")")
        return where, filters
    where += [f"+articles_fts.rowid IN ({label_ids(name)})" for name in chosen if name in LABEL_VALUE]
    on_rows = [ARTICLE_FILTERS[name] for name in chosen if name not in LABEL_VALUE]
    if on_rows:
        where.append("+articles_fts.rowid IN (SELECT id FROM articles WHERE " + " AND ".join(on_rows) + ")")
    return where, [ARTICLE_FILTERS_BY_ROW[name] for name in chosen]


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
    postings: PostingsSearch | None = None  # the search's view of the postings (None: FTS5 alone)

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
    terms = {*query.terms, *query.concepts}  # sets and counters: a scan of a list per token made long queries quadratic
    terms |= {joined for term in query.terms if (joined := query_joined_term(term))}  # TPO-RA as one token
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
    if "porter" in (index_tokenizer(connection) or ""):  # the index's terms: platelets is listed as platelet
        tokens = [porter_stem(token) for token in tokens]
    lists = top_lists(connection, tokens)
    if lists is None:
        return None, None
    if listed_query.conjunction and (page := _rank_from_lists_alone(connection, tokens, lists, matches, wanted)):
        one_word = len(tokens) == 1 and not matches.filters
        return (lists[tokens[0]].live_articles if one_word else None), page
    if listed_query.conjunction and len(set(tokens)) == 1:
        return None, None  # one word's list proved too little (a rare filter): scoring it with FTS5 proves no more
    total = matches.count(connection)  # finding the matches is cheap; scoring them is not
    if total <= RANK_ALL_BELOW:
        return total, None
    bound = sum(lists[token].threshold for token in tokens)
    candidates = sorted(set().union(*(top.scores for top in lists.values())))
    # A candidate scores at most its known scores plus the thresholds of the lists it is missing from:
    # when fewer than ``wanted`` of them could score above the bound, scoring them with FTS5 (a scan of
    # every match, 11-12 ms at 100,000 articles) could prove nothing.
    ceilings = sorted(
        (sum(lists[token].scores.get(rowid, lists[token].threshold) for token in tokens) for rowid in candidates),
        reverse=True,
    )
    if len(ceilings) < wanted or ceilings[wanted - 1] * (1 + 1e-9) <= bound:
        return total, None
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


def _rank_from_postings(query: Query, matches: _Matches, wanted: int) -> tuple[int, list[tuple[int, float]]] | None:
    """The match count and the best ``wanted`` (rowid, rank) pairs from the postings of the query's phrases
    (:mod:`itp6crawl.postings_search`), or None when they cannot answer: not an expression of phrases, a
    phrase without postings or places that is too common to ask FTS5 of, or a date filter (a condition on
    every article row). The answer is FTS5's, scores and order to the last bit (tests compare them)."""
    if matches.postings is None or any(name in matches.params for name in ("since", "until")):
        return None
    ranked = matches.postings.rank(query.match, matches.params, matches.all_live)
    return None if ranked is None else (len(ranked.ids), ranked.best(wanted))


def _rank_from_lists_alone(
    connection: sqlite3.Connection, tokens: list[str], lists: dict[str, TopList], matches: _Matches, wanted: int
) -> list[tuple[int, float]] | None:
    """The best ``wanted`` (rowid, rank) pairs of an AND of ``tokens`` from their lists alone, or None.

    The lists' scores are FTS5's own (the same operations on the same figures), summed in the query's
    phrase order as FTS5 sums them, so the answer is FTS5's to the last bit."""
    occurrences = Counter(tokens)
    distinct = [lists[token] for token in occurrences]
    everywhere = set.intersection(*(set(top.scores) for top in distinct))
    thresholds = sum(lists[token].threshold for token in tokens)  # the bound of an article in no list
    # An article in some lists scores at most the thresholds plus what its listed scores add to them:
    # one pass over the lists' entries (summing every token for every listed article was quadratic). A
    # known score may lie below its list's threshold (an article changed since the lists were built, or
    # a threshold widened for the index's drift), so an article in no list bounds the rest from below.
    gain: dict[int, float] = {}
    for token, times in occurrences.items():
        top = lists[token]
        for article_id, score in top.scores.items():
            if article_id not in everywhere:
                gain[article_id] = gain.get(article_id, 0.0) + times * (score - top.threshold)
    bound = thresholds + max([0.0, *gain.values()])
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
    """Which of ``ids`` are live articles that pass the search's filters (live as a search counts them: a
    row without a status is searched). The status test is an expression no index serves, so the plan
    looks the few ids up by primary key instead of walking the status index over every live article
    (0.03 ms instead of 3 ms at 20,000 articles, 14-21 ms at 100,000)."""
    listed = ", ".join(str(int(article_id)) for article_id in ids)  # article ids: integers from the archive
    conditions = " AND ".join([f"id IN ({listed})", "coalesce(status, 'live') = 'live'", *matches.filters])
    return {row[0] for row in connection.execute(f"SELECT id FROM articles WHERE {conditions}", matches.params)}


__all__ = [
    "ArchiveError",
    "ArchiveMissing",
    "Hit",
    "Hits",
    "QueryError",
    "Snippet",
    "connect_readonly",
    "search",
    "search_notes",
    "snippet",
    "zh_snippet",
    "zh_snippet_matches",
]
