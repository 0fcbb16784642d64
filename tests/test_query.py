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


# --------------------------------------------------------------------------- issue [8]: the shell


@pytest.mark.parametrize(
    "query", ["title:", "(title:)", "title: OR", "-title:", "-", "OR", "()", '""', "NOT", "AND", "- -", 'title:""']
)
def test_operators_and_empty_fields_alone_are_nothing_to_search(query):
    """``title:`` alone searched the word "title" (0 articles matched instead of a usage error)."""
    with pytest.raises(QueryError, match=r"nothing to search for in .*: type a word, e\.g\. 艾曲泊帕 or IgG1$"):
        parse(query)
    assert zh_fts(query) == MATCH_NOTHING  # the SQL function's way of saying it, as for every QueryError


@pytest.mark.parametrize("query", ["-激素", "NOT 激素", "-激素 -儿童", "title:艾曲泊帕 AND NOT", "-title:激素"])
def test_exclusions_alone_say_what_is_missing(query):
    if query == "title:艾曲泊帕 AND NOT":  # a dangling NOT excludes nothing: the title word is searched
        assert parse(query).match == 'title_seg : "艾曲泊帕"'
        return
    with pytest.raises(QueryError, match="add a word to find beside the excluded ones"):
        parse(query)


def test_every_query_error_is_one_line():
    for query in ["title:", "-激素", "NOT", "(" * 40 + "a"]:
        with pytest.raises(QueryError) as raised:
            parse(query)
        assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("艾曲*", '("艾曲"* OR "艾 曲"*)'),  # a word that starts so, or the words it segments to, in a row
        ("艾曲泊帕*", '"艾曲泊帕"*'),
        ("血小板低*", '("血小板低"* OR "血小板 低"*)'),
        ("title:艾曲*", '(title_seg : "艾曲"* OR title_seg : "艾 曲"*)'),
        ("-艾曲* 激素", '("激素" NOT ("艾曲"* OR "艾 曲"*))'),
        ("幹細*", '("干细"* OR "干 细"*)'),
        ("eltrombo*", '"eltrombo"*'),
    ],
)
def test_a_chinese_prefix_is_the_start_of_a_word(query, match):
    assert parse(query).match == match


def fts_of(*bodies: str) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    for body in bodies:
        connection.execute("INSERT INTO t VALUES ('', ?, '')", [body])
    return connection


def test_a_chinese_prefix_finds_the_words_it_begins():
    """``艾曲*`` found nothing: it was 艾 AND 曲*, and the index holds 艾曲泊帕 whole."""
    connection = fts_of("服用 艾曲泊帕 三个月", "海曲泊帕 升板", "艾 草 歌曲", "血小板 低 的 时候")
    found = lambda query: sorted(  # noqa: E731
        row[0] for row in connection.execute("SELECT rowid FROM t WHERE t MATCH ?", [zh_fts(query)])
    )
    assert found("艾曲*") == [1]
    assert found("海曲*") == [2]
    assert found("血小板低*") == [4]
    assert found("曲*") == []  # a prefix of a word, never the middle of one
