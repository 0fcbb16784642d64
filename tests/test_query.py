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
    assert parse(query, expand=False).match == match


def test_terms_for_highlighting_are_the_positive_ones():
    assert parse("艾曲泊帕 -儿童 OR title:激素", expand=False).terms == ["艾曲泊帕", "激素"]


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
        assert parse(query, expand=False).match == 'title_seg : "艾曲泊帕"'
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
    assert parse(query, expand=False).match == match


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


# --------------------------------------------------------------------------- issue [11]: a concept's names


def test_an_english_name_searches_the_chinese_and_brand_names():
    query = parse("eltrombopag")
    assert query.match.startswith('("eltrombopag" OR "艾曲泊帕" OR ')
    assert {'"revolade"', '"promacta"'} <= set(query.match.strip("()").split(" OR "))
    (expansion,) = query.expansions
    assert (expansion.typed, expansion.concept) == ("eltrombopag", "eltrombopag")
    assert "艾曲泊帕" in expansion.names and "Revolade" in expansion.names and "eltrombopag" not in expansion.names
    assert str(expansion).startswith("eltrombopag: 艾曲泊帕, ")
    assert {"eltrombopag", "艾曲泊帕", "revolade"} <= set(query.terms)  # every name is highlighted


@pytest.mark.parametrize("typed", ["Revolade", "REVOLADE", "艾曲泊帕", "Promacta"])
def test_any_name_of_a_concept_expands_to_the_same_names(typed):
    expected = set(parse("eltrombopag").match.strip("()").split(" OR "))
    assert set(parse(typed).match.strip("()").split(" OR ")) == expected


def test_the_typed_words_keep_their_meaning_and_names_are_phrases():
    # 血小板低 is a lay name of thrombocytopenia: typed, it is still 血小板 AND 低 anywhere, as without expansion
    match = parse("血小板低").match
    assert match.startswith('(("血小板" AND "低") OR ') and '"thrombocytopenia"' in match
    assert '"血小板减少症"' in match


def test_words_typed_in_a_row_may_name_a_concept():
    query = parse("immune thrombocytopenia 儿童")
    assert query.match.startswith('((("immune" AND "thrombocytopenia") OR "免疫性血小板减少症" OR ')
    assert query.match.endswith(' AND "儿童")')
    assert [e.typed for e in query.expansions] == ["immune thrombocytopenia"]


def test_a_concept_inside_chinese_typed_without_spaces():
    query = parse("艾曲泊帕儿童")
    assert query.match.startswith('(("艾曲泊帕" OR ') and query.match.endswith(' AND "儿童")')
    assert [e.typed for e in query.expansions] == ["艾曲泊帕"]


@pytest.mark.parametrize(
    ("typed", "match"),
    [
        ('"eltrombopag"', '"eltrombopag"'),  # a quoted word stays exact
        ("eltrombopag*", '"eltrombopag"*'),  # so does a prefix
        ("孩子 治疗", '("孩子" AND "治疗")'),  # words that name nothing
    ],
)
def test_what_is_not_expanded(typed, match):
    query = parse(typed)
    assert query.match == match and query.expansions == []


def test_exact_turns_expansion_off_and_zh_fts_says_the_same():
    assert parse("eltrombopag", expand=False).match == '"eltrombopag"'
    assert zh_fts("eltrombopag", "exact") == '"eltrombopag"'
    assert zh_fts("eltrombopag") == parse("eltrombopag").match != '"eltrombopag"'
    with pytest.raises(ValueError, match="'exact' or 'expand'"):
        zh_fts("eltrombopag", "fuzzy")


def test_an_excluded_concept_excludes_all_its_names():
    match = parse("激素 -eltrombopag").match
    assert match.startswith('(("激素" OR ') and ' NOT ("eltrombopag" OR "艾曲泊帕" OR ' in match
    assert "eltrombopag" not in parse("激素 -eltrombopag").terms  # nothing excluded is highlighted


def test_a_title_search_searches_every_name_in_titles():
    match = parse("title:Nplate").match
    assert match.startswith('(title_seg : "nplate" OR title_seg : "罗米司亭" OR ')


def test_traditional_names_fold_onto_their_simplified_phrase():
    # the vocabulary lists 特發性血小板減少性紫癜 beside 特发性血小板减少性紫癜: the index folds both to one
    phrases = parse("ITP").match.strip("()").split(" OR ")
    assert len(phrases) == len(set(phrases)) and '"特发性血小板减少性紫癜"' in phrases


def test_expansions_are_bounded_and_stay_valid_fts5():
    from itp6crawl.query import MAX_EXPANSIONS

    query = parse(" ".join(["eltrombopag", "romiplostim", "rituximab", "dexamethasone"] * 10))
    assert len(query.expansions) == MAX_EXPANSIONS
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", [query.match]).fetchone()
