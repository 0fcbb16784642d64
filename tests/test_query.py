"""The query language: what each construct means in FTS5, and that no input raises anything else."""

from __future__ import annotations

import sqlite3

import pytest

from itp6crawl.query import MATCH_NOTHING, QueryError, parse, zh_fts


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("血小板 激素", '("血小板" AND "激素")'),
        ("血小板低", '("血小板" AND "低")'),
        ('"血小板 减少"', '"血小板减少"'),  # spaces between Chinese characters carry no meaning
        ('"IgG1 抗体"', '"igg1 抗体"'),
        ("艾曲泊帕 OR 海曲泊帕", '("艾曲泊帕" OR "海曲泊帕")'),
        ("(激素 OR 地塞米松) 儿童", '(("激素" OR "地塞米松") AND "儿童")'),
        ("激素 -儿童", '("激素" NOT "儿童")'),
        ("激素 NOT 儿童", '("激素" NOT "儿童")'),
        ("title:艾曲泊帕", 'title_seg : "艾曲泊帕"'),
        ('title:"激素 治疗"', 'title_seg : "激素 治疗"'),  # segmented as written together
        ("eltrombo*", '"eltrombo"*'),
        ("TPO-RA", '"tpo-ra"'),
        ("幹細胞", '"干细胞"'),
        ("IgG1 AND CD4+CD25+", '("igg1" AND "cd4+cd25+")'),
        ("or", '"or"'),
    ],
)
def test_the_language(query, match):
    assert parse(query).match == match


def test_terms_for_highlighting_are_the_positive_ones():
    assert parse("艾曲泊帕 -儿童 OR title:激素").terms == ["艾曲泊帕", "激素"]


@pytest.mark.parametrize("query", ["", "   ", "-儿童", "NOT 儿童", '""', "(((", "。，！", "OR"])
def test_nothing_to_search_is_one_clear_error(query):
    with pytest.raises(QueryError, match="nothing to search for"):
        parse(query)
    assert zh_fts(query) == MATCH_NOTHING


@pytest.mark.parametrize(
    "query",
    ['"', "a OR", "(激素", "激素)", 'title:"', "-", "*", "NEAR(a b)", "title_seg:x", "a:b:c", '"a" "b', "((a) OR (b)"],
)
def test_odd_input_still_gives_a_valid_fts5_expression(query):
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("INSERT INTO t VALUES ('a b', '激素 儿童', 'x')")
    connection.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", [zh_fts(query)]).fetchone()
