"""The sqlite-utils plugin: zh_fts() and zh_snippet() in SQL, and `sqlite-utils zh-search`, find what
`itp6crawl search` finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from itp6crawl.search import search

SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"
QUERIES = ["血小板低", "幹細胞", "TPO-RA", "艾曲泊帕 -儿童", "title:激素 OR IgG1", '"血小板 减少"']
SQL = """
SELECT articles.id FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid
WHERE articles_fts MATCH zh_fts(:q) AND articles.status = 'live'
ORDER BY bm25(articles_fts, 10.0, 1.0, 0.5), articles.id LIMIT 20
"""


def our_ids(db: Path, query: str) -> list[int]:
    return [hit.id for hit in search(db, query, limit=20)]


@pytest.mark.parametrize("query", QUERIES)
def test_zh_fts_in_the_python_api_finds_what_our_search_finds(replica_archive, query):
    db = sqlite_utils.Database(replica_archive)  # plugins prepare every connection
    found = [row["id"] for row in db.query(SQL, {"q": query})]
    assert found and set(found) == set(our_ids(replica_archive, query))


def test_the_sqlite_utils_query_command_has_zh_fts_and_zh_snippet(replica_archive):
    sql = SQL.replace("SELECT articles.id", "SELECT articles.id, zh_snippet(articles.body_text, :q) AS snippet")
    result = subprocess.run(
        [str(SQLITE_UTILS), "query", str(replica_archive), sql, "-p", "q", "幹細胞"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    # (a few match through their tags or captions, whose words the body snippet cannot show)
    assert rows and sum("【干细胞】" in row["snippet"] for row in rows) > len(rows) / 2


@pytest.mark.parametrize("query", QUERIES)
def test_zh_search_command_matches_the_cli(replica_archive, query):
    result = subprocess.run(
        [str(SQLITE_UTILS), "zh-search", str(replica_archive), query, "--limit", "20"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert [hit["id"] for hit in json.loads(result.stdout)] == our_ids(replica_archive, query)


def test_zh_search_with_nothing_to_search_is_one_line(replica_archive):
    result = subprocess.run(
        [str(SQLITE_UTILS), "zh-search", str(replica_archive), "--", "-儿童"], capture_output=True, text=True
    )
    assert result.returncode == 1 and "nothing to search for" in result.stderr and "Traceback" not in result.stderr


def judged_queries() -> list[str]:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "search_queries.json"
    return [entry["query"] for entry in json.loads(path.read_text(encoding="utf-8"))["queries"]]


def test_every_judged_query_finds_the_same_articles_in_sql_as_in_the_cli(replica_archive):
    """The queries of the relevance benchmark: zh_fts() in SQL and `itp6crawl search` agree on each."""
    db = sqlite_utils.Database(replica_archive)
    sql = SQL.replace("LIMIT 20", "")
    found_something = 0
    for query in judged_queries():
        ids = {row["id"] for row in db.query(sql, {"q": query})}
        assert ids == {hit.id for hit in search(replica_archive, query, limit=1000)}, query
        found_something += bool(ids)
    assert found_something >= 40


# --------------------------------------------------------------------------- issue [8]


@pytest.mark.parametrize("query", ["", "title:", "-", "OR", "()", '""', "NOT", "-激素", "AND (title:)"])
def test_a_query_with_nothing_to_search_matches_nothing_in_sql_and_is_one_line_in_zh_search(replica_archive, query):
    """The parser raises QueryError for these (the CLI's exit 2); in SQL, where a function cannot say
    why, zh_fts() matches nothing, as for every QueryError; zh-search says the parser's line."""
    from itp6crawl.query import QueryError, parse

    with pytest.raises(QueryError) as raised:
        parse(query)
    assert list(sqlite_utils.Database(replica_archive).query(SQL, {"q": query})) == []
    result = subprocess.run(
        [str(SQLITE_UTILS), "zh-search", str(replica_archive), "--", query], capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stderr == f"Error: {raised.value}\n"


def test_a_chinese_prefix_finds_the_same_articles_in_sql(replica_archive):
    db = sqlite_utils.Database(replica_archive)
    found = {row["id"] for row in db.query(SQL.replace("LIMIT 20", ""), {"q": "艾曲*"})}
    assert found and found == {hit.id for hit in search(replica_archive, "艾曲*", limit=1000)}
    assert found >= {hit.id for hit in search(replica_archive, "艾曲泊帕", limit=1000)}


@pytest.fixture
def bracketed_archive(tmp_path, article_factory, fetch_time) -> Path:
    """Articles that write 【解读】 themselves, in English and Chinese."""
    from itp6crawl.store import Archive
    from itp6crawl.text import segment_article

    path = tmp_path / "itp6.db"
    bodies = {
        1: "【解读】A research letter: platelets rose on eltrombopag.",
        2: "【指南原文】Two researches on the platelet count.",
        3: "【解读】与此无关的内容。",
    }
    with Archive.open(path) as archive:
        for post_id, body in bodies.items():
            article = article_factory(post_id, title=f"第{post_id}篇", body_text=body, related=[], prev=None)
            archive.articles.save(article, segment_article(article), fetch_time)
    return path


def test_sqlite_utils_search_finds_the_other_forms_of_an_english_word(bracketed_archive):
    """The index stems English (porter), so sqlite-utils' own search needs no plugin for it."""
    for word in ("researches", "research", "platelets"):
        result = subprocess.run(
            [str(SQLITE_UTILS), "search", str(bracketed_archive), "articles", word, "-c", "id"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert {row["id"] for row in json.loads(result.stdout)} == {1, 2}, word
    rows = sqlite_utils.Database(bracketed_archive)["articles"].search("platelet", columns=["id"])
    assert {row["id"] for row in rows} == {1, 2}


def test_zh_snippet_in_sql_marks_only_matches(bracketed_archive):
    sql = (
        "SELECT articles.id, zh_snippet(body_text, :q) AS plain,"
        " zh_snippet(body_text, :q, char(57344), char(57345)) AS private FROM articles"
        " WHERE articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH zh_fts(:q)) ORDER BY id"
    )
    result = subprocess.run(
        [str(SQLITE_UTILS), "query", str(bracketed_archive), sql, "-p", "q", "platelets"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["plain"] for row in rows] == [
        "〖解读〗A research letter: 【platelets】 rose on eltrombopag.",
        "…南原文〗Two researches on the 【platelet】 count.",  # a window from a third of its width before
    ]
    assert rows[0]["private"] == "【解读】A research letter: \ue000platelets\ue001 rose on eltrombopag."


def test_zh_search_expands_a_concept_unless_exact(replica_archive):
    command = [str(SQLITE_UTILS), "zh-search", str(replica_archive), "Revolade", "--limit", "20"]
    expanded = subprocess.run(command, capture_output=True, text=True)
    assert expanded.returncode == 0 and "also searched: Revolade: 艾曲泊帕" in expanded.stderr
    assert [hit["id"] for hit in json.loads(expanded.stdout)] == our_ids(replica_archive, "Revolade")
    assert json.loads(expanded.stdout)  # the replica writes 艾曲泊帕 only
    exact = subprocess.run([*command, "--exact"], capture_output=True, text=True)
    assert exact.returncode == 0 and json.loads(exact.stdout) == []


def test_zh_fts_in_sql_expands_like_the_cli_and_exact_does_not(replica_archive):
    sql = "SELECT COUNT(*) AS n FROM articles_fts WHERE articles_fts MATCH zh_fts(:q{mode})"
    counts = {}
    for mode in ("", ", 'exact'"):
        result = subprocess.run(
            [str(SQLITE_UTILS), "query", str(replica_archive), sql.format(mode=mode), "-p", "q", "eltrombopag"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        counts[mode] = json.loads(result.stdout)[0]["n"]
    assert counts[", 'exact'"] == 0 < counts[""] == search(replica_archive, "eltrombopag").total


def test_zh_fts_in_sql_corrects_a_misspelling_as_the_cli_does(replica_archive):
    sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH zh_fts(:q) ORDER BY rowid"
    result = subprocess.run(
        [str(SQLITE_UTILS), "query", str(replica_archive), sql, "-p", "q", "艾曲波帕"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    found = [row["rowid"] for row in json.loads(result.stdout)]
    assert found and found == sorted(hit.id for hit in search(replica_archive, "艾曲泊帕", limit=1000))
