"""Limits of the query language: how deep, how long, and that a search's work grows linearly with its query.

Before, 500 nested brackets raised a RecursionError (a traceback in the CLI), a few hundred exclusions an
FTS5 "parser stack overflow" (reported as an unreadable archive), and a search of 10,000 words took 56 s:
its cost grew with the square of the query's length. The work is counted here, never timed: calls seen
by a profiler and comparisons of the tokens an instrumented segmenter hands out.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from itp6crawl.query import _LEXEME, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, MAX_QUERY_TERMS, QueryError, parse, zh_fts
from itp6crawl.search import _Matches, _rank_from_lists_alone, search
from itp6crawl.store.toplists import TopList, refresh_top_lists
from itp6crawl.text import Segmenter, default_segmenter

WORDS = ["血小板", "激素", "儿童", "艾曲泊帕", "igg1", "治疗", "地塞米松", "tpo-ra", "骨髓", "脾切除"]


def fts5_accepts(match: str) -> bool:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(title_seg, body_seg, search_extra)")
    connection.execute("INSERT INTO t VALUES ('血小板 激素', '儿童 艾曲泊帕 igg1', '')")
    connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()
    return True


def nested(depth: int, inner: str = "血小板") -> str:
    return "(" * depth + inner + ")" * depth


def deepest(depth: int) -> str:
    """The most bracketed expression a query of ``depth`` levels can give: at every level an OR of a group
    and words, ANDed with a word and an exclusion (each level adds an OR, an AND and a NOT)."""
    query = "血小板"
    for level in range(depth):
        query = f"(激素{level} OR {query} 儿童 -骨髓{level})"
    return query


# --------------------------------------------------------------------------- depth and length


def test_ten_thousand_nested_brackets_are_one_query_error():
    with pytest.raises(QueryError) as raised:
        parse(nested(10_000))
    message = str(raised.value)
    assert "\n" not in message and len(message) < 200
    assert f"{MAX_QUERY_CHARS:,} characters" in message
    assert zh_fts(nested(10_000)) == '""'  # the plugins' SQL function matches nothing, as for other errors


def test_brackets_nested_one_level_too_deep_are_one_query_error_naming_the_limit():
    text = nested(MAX_QUERY_DEPTH + 1)
    assert len(text) < MAX_QUERY_CHARS
    with pytest.raises(QueryError, match=f"nested more than {MAX_QUERY_DEPTH} deep"):
        parse(text)
    with pytest.raises(QueryError, match=f"nested more than {MAX_QUERY_DEPTH} deep"):
        parse("激素 " + deepest(MAX_QUERY_DEPTH + 1))


def test_the_deepest_query_allowed_is_a_valid_fts5_expression():
    query = parse(deepest(MAX_QUERY_DEPTH))
    assert query.match.count("(") > 2 * MAX_QUERY_DEPTH  # the worst case of the expression's own nesting
    assert fts5_accepts(query.match)
    assert fts5_accepts(parse(nested(MAX_QUERY_DEPTH)).match)


def test_unbalanced_closing_brackets_do_not_count_as_depth():
    assert parse(")" * (MAX_QUERY_DEPTH * 3) + " 血小板", expand=False).match == '"血小板"'


def test_a_long_query_below_the_limits_parses_and_searches(replica_archive):
    words = [f"{WORDS[i % len(WORDS)]}{i}" for i in range(MAX_QUERY_TERMS // 2)]  # two tokens each
    text = " OR ".join(words)
    assert len(text) < MAX_QUERY_CHARS
    query = parse(text, expand=False)
    assert query.terms[:4] == ["血小板", "0", "激素", "1"]
    assert fts5_accepts(parse(text).match)  # expanded too: at most MAX_EXPANSIONS concepts
    assert fts5_accepts(query.match)
    assert search(replica_archive, text, limit=5).total >= 0


def test_as_many_exclusions_as_allowed_are_a_valid_fts5_expression(replica_archive):
    """Each exclusion used to nest the expression one level deeper: FTS5 gave up after about 100."""
    text = "血小板 " + " ".join(f"-{WORDS[i % len(WORDS)]}{i}" for i in range(MAX_QUERY_TERMS // 2 - 1))
    query = parse(text)
    assert fts5_accepts(query.match)
    plain = {hit.id for hit in search(replica_archive, "血小板", limit=1000)}
    assert {hit.id for hit in search(replica_archive, text, limit=1000)} <= plain


def test_too_many_words_are_one_query_error_naming_the_limit():
    text = " ".join(f"w{i}" for i in range(MAX_QUERY_TERMS + 1))
    assert len(text) < MAX_QUERY_CHARS
    with pytest.raises(QueryError, match=f"more than {MAX_QUERY_TERMS} words"):
        parse(text)
    parse(" ".join(f"w{i}" for i in range(MAX_QUERY_TERMS)))  # the limit itself is allowed
    with pytest.raises(QueryError, match=f"more than {MAX_QUERY_TERMS} words"):  # a phrase counts its words
        parse('"' + "血小板低" * (MAX_QUERY_TERMS // 2 + 1) + '"')


def test_too_long_a_query_is_one_query_error_naming_the_limit():
    with pytest.raises(QueryError, match=f"longer than {MAX_QUERY_CHARS:,} characters"):
        parse("a" * (MAX_QUERY_CHARS + 1))
    assert parse("a" * MAX_QUERY_CHARS).match == '"' + "a" * MAX_QUERY_CHARS + '"'


def test_the_cli_gives_one_line_and_exit_2_for_ten_thousand_nested_brackets(replica_archive, itp6crawl_cli):
    result = itp6crawl_cli("search", nested(10_000), "--db", str(replica_archive))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("error: the query is longer than") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not result.stdout


def test_the_cli_gives_one_line_and_exit_2_for_brackets_too_deep(replica_archive, itp6crawl_cli):
    result = itp6crawl_cli("search", "激素", deepest(MAX_QUERY_DEPTH + 1), "--db", str(replica_archive))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "nested more than" in result.stderr


# --------------------------------------------------------------------------- linear work


def test_the_lexer_never_rescans_spaces():
    """A lexeme pattern that may start with spaces (``\\s*``) is tried again from every position of a run
    of spaces, each try reading to the run's end: 4,000 spaces took a second, 8,000 four. No lexeme may
    start with a space, so each position is looked at once."""
    assert _LEXEME.match(" ") is None and _LEXEME.match("\u3000") is None
    text = '  血小板 \t( 激素  OR\n-儿童 )  title:"a b"   '
    assert all(not lexeme[0][0].isspace() for lexeme in _LEXEME.finditer(text))
    assert parse(" " * (MAX_QUERY_CHARS - 3) + "血小板", expand=False).match == '"血小板"'


class CountedToken(str):
    """A token that counts how often it is compared: a list scanned for every token shows up here."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountedToken.comparisons += 1
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        CountedToken.comparisons += 1
        return str.__ne__(self, other)

    __hash__ = str.__hash__


class CountingSegmenter(Segmenter):
    """The packaged segmenter, handing out :class:`CountedToken` s."""

    def __init__(self) -> None:
        self.__dict__.update(default_segmenter().__dict__)  # the loaded dictionary, not a second one

    def tokens(self, text: str) -> list[str]:
        return [CountedToken(token) for token in super().tokens(text)]


def work(call: Callable[[], Any]) -> int:
    """Calls (Python and C) seen by a profiler while ``call`` runs, plus the comparisons of counted tokens."""
    events = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal events
        events += 1

    CountedToken.comparisons = 0
    sys.setprofile(count)
    try:
        call()
    finally:
        sys.setprofile(None)
    return events + CountedToken.comparisons


SIZES = (30, 480)  # tokens; the larger just below MAX_QUERY_TERMS
LINEAR = 1.25 * SIZES[1] / SIZES[0]  # growth allowed: linear (16) and a margin; quadratic would be 256


def growth(make: Callable[[int], Callable[[], Any]]) -> float:
    """How many times the work grew when the input grew from ``SIZES[0]`` to ``SIZES[1]`` (16 times).
    Each size runs once beforehand, so caches (the dictionary, SQLite's pages) are warm."""
    small, large = (make(size) for size in SIZES)
    small(), large()
    return work(large) / work(small)


def query_of(size: int, shape: str) -> str:
    words = [f"{WORDS[i % len(WORDS)]}{i}" for i in range(size // 2)]  # two tokens each
    if shape == "and":
        return " ".join(words)
    if shape == "or":
        return " OR ".join(["血小板", *words])
    if shape == "not":
        return "血小板 " + " ".join("-" + word for word in words)
    if shape == "phrases":
        return " ".join(f'"{word}"' for word in words)
    assert shape == "groups"
    return " ".join(f"({a} OR {b})" for a, b in zip(words[::2], words[1::2], strict=False))


SHAPES = ["and", "or", "not", "phrases", "groups"]


@pytest.mark.parametrize("shape", SHAPES)
def test_parsing_does_work_linear_in_the_query_length(shape):
    segmenter = CountingSegmenter()
    assert growth(lambda size: lambda: parse(query_of(size, shape), segmenter)) < LINEAR


@pytest.mark.parametrize("shape", SHAPES)
def test_searching_does_work_linear_in_the_query_length(replica_archive, shape):
    segmenter = CountingSegmenter()
    ratio = growth(lambda size: lambda: search(replica_archive, query_of(size, shape), segmenter=segmenter))
    assert ratio < LINEAR


@pytest.fixture(scope="module")
def listed_archive(replica_archive, tmp_path_factory) -> tuple[Path, list[str]]:
    """The replica archive with a top list for every word in two articles or more, and those words."""
    path = tmp_path_factory.mktemp("listed") / "itp6.db"
    shutil.copy(replica_archive, path)
    with sqlite3.connect(path, isolation_level=None) as connection:
        refresh_top_lists(connection, force=True, min_articles=2, size=3)
        words = [row[0] for row in connection.execute("SELECT term FROM search_top_terms ORDER BY term")]
    segmenter = default_segmenter()
    return path, [word for word in words if word.isalpha() and segmenter.tokens(word) == [word]]


@pytest.mark.parametrize("joiner", [" ", " OR "])
def test_searching_through_the_top_lists_does_work_linear_in_the_query_length(listed_archive, joiner):
    path, words = listed_archive
    assert len(words) >= SIZES[1]
    segmenter = CountingSegmenter()
    ratio = growth(lambda size: lambda: search(path, joiner.join(words[:size]), segmenter=segmenter))
    assert ratio < LINEAR


def test_ranking_from_the_lists_alone_does_work_linear_in_the_number_of_tokens():
    """The bound on articles missing from some lists once summed every token for each listed article."""

    def ranking(size: int) -> Callable[[], Any]:
        tokens = [f"t{i}" for i in range(size)]
        # Article 0 tops every list; each list also holds ten articles of its own.
        lists = {
            token: TopList({0: 100.0, **{i * 10 + j + 1: 1.0 for j in range(10)}}, 0.5, 1000)
            for i, token in enumerate(tokens)
        }
        matches = _Matches(condition="", filters=[], params={}, all_live=True)
        return lambda: _rank_from_lists_alone(sqlite3.connect(":memory:"), tokens, lists, matches, 1)

    assert ranking(60)() == [(0, -100.0 * 60)]
    assert growth(ranking) < LINEAR
