"""Property tests of the query language: any text a user can type searches or gives one clear line.

Inputs are drawn from what breaks FTS5 and naive parsers: its operators (AND OR NOT NEAR, ^, :, *, +, -),
quotes and brackets of both widths, column names, Chinese (Simplified, Traditional) and English words.
"""

import sqlite3

from conftest import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itp6crawl.query import MATCH_NOTHING, MAX_QUERY_DEPTH, QueryError, parse, zh_fts
from itp6crawl.search import search

PIECES = st.sampled_from(
    [
        *("AND", "OR", "NOT", "NEAR", "NEAR(", "and", "or", "^", ":", "*", "+", "-", "--", '"', "“", "”", "「", "」"),
        *("(", ")", "（", "）", "title:", "title_seg:", "body_seg:", "{", "}", "[", "]", ",", "，", "。", "'", "\\"),
        *("血小板", "減少", "激素", "儿童", "艾曲泊帕", "TPO-RA", "CD4+CD25+", "IgG1", "10^9/L", "eltrombo", "itp"),
        *(" ", "  ", "\t", "\n", "\u3000", "\x00", "😀", "é", "ß"),
    ]
)
QUERIES = st.one_of(st.lists(PIECES, max_size=12).map("".join), st.text(max_size=40))
FUZZ = settings(max_examples=fuzz_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(QUERIES)
def test_any_text_parses_to_a_valid_fts5_expression_or_one_clear_error(text):
    try:
        query = parse(text)
    except QueryError as error:
        assert str(error).startswith("nothing to search for") and "\n" not in str(error)
        return
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("INSERT INTO t VALUES ('血小板 减少', 'itp tpo ra', '')")
    connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query.match,)).fetchone()
    assert all(term and term == term.strip() for term in query.terms)


@FUZZ
@given(QUERIES)
def test_zh_fts_never_raises_and_always_matches_validly(text):
    match = zh_fts(text)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()
    assert match == MATCH_NOTHING or match.count('"') % 2 == 0


@settings(max_examples=fuzz_examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES, st.sampled_from(["relevance", "newest", "oldest"]), st.integers(0, 50))
def test_any_text_searches_the_archive_or_gives_one_clear_error(replica_archive, text, sort, offset):
    try:
        hits = search(replica_archive, text, sort=sort, limit=5, offset=offset)
    except QueryError:
        return
    assert hits.total >= len(hits) and len(hits) <= 5
    assert all(hit.url.startswith("https://www.itp6.com/") for hit in hits)


# Queries near and beyond the limits: brackets nested up to past MAX_QUERY_DEPTH, hundreds of words, ORs and
# exclusions at every level. Each parses to an expression FTS5 accepts, or gives one line naming a limit.
WORDS = st.sampled_from(["血小板", "激素", "儿童低", "IgG1", "TPO-RA", "eltrombo*", '"血小板 减少"', "title:激素", "a"])


def _group(children: list[str], joiner: str, negated: bool) -> str:
    return ("-" if negated else "") + "(" + joiner.join(children) + ")"


NESTED = st.recursive(
    WORDS,
    lambda inner: st.builds(
        _group, st.lists(inner, min_size=1, max_size=4), st.sampled_from([" ", " OR ", " -", " NOT "]), st.booleans()
    ),
    max_leaves=60,
)


def _chain(levels: list[tuple[str, str, str]], core: str) -> str:
    """Groups inside groups, one per level: ``(a OR (b NOT (… core …) c) d)``."""
    for before, joiner, after in levels:
        core = f"({before}{joiner}{core} {after})"
    return core


JOINERS = st.sampled_from([" ", " OR ", " NOT ", " -x "])
LEVELS = st.lists(st.tuples(WORDS, JOINERS, WORDS), min_size=1, max_size=4)
CHAINS = st.builds(  # a few kinds of level, repeated to any depth up to past the limit
    lambda levels, depth, core: _chain((levels * depth)[:depth], core),
    LEVELS,
    st.integers(0, MAX_QUERY_DEPTH + 3),
    NESTED,
)
DEEP = st.builds(lambda depth, core: "(" * depth + core + ")" * depth, st.integers(0, MAX_QUERY_DEPTH + 3), CHAINS)
LONG = st.builds(
    lambda words, joiner, copies: joiner.join(words * copies),
    st.lists(WORDS, min_size=1, max_size=10),
    st.sampled_from([" ", " OR ", " -"]),
    st.integers(1, 120),
)
LIMITS = ("nothing to search for", "the query is longer than", "the query has more than", "the query's brackets")


@settings(max_examples=fuzz_examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(DEEP, LONG, st.builds(" ".join, st.lists(st.one_of(DEEP, LONG), min_size=2, max_size=4))))
def test_deep_and_long_queries_parse_to_a_valid_fts5_expression_or_one_line_naming_the_limit(text):
    try:
        query = parse(text)
    except QueryError as error:
        assert str(error).startswith(LIMITS) and "\n" not in str(error)
        return
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("INSERT INTO t VALUES ('血小板 减少', 'itp tpo-ra igg1', '')")
    connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query.match,)).fetchone()
