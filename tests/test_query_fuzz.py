"""Property tests of the query language: any text a user can type searches or gives one clear line.

Inputs are drawn from what breaks FTS5 and naive parsers: its operators (AND OR NOT NEAR, ^, :, *, +, -),
quotes and brackets of both widths, column names, Chinese (Simplified, Traditional) and English words.
"""

import sqlite3

from conftest import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itp6crawl.query import MATCH_NOTHING, QueryError, parse, zh_fts
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
