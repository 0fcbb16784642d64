"""The Datasette plugin: Chinese search in the table search box and the canned query, article pages.

Unit tests go through ``Datasette(...).client`` (in process, no port). The browser tests serve the archive
with :func:`itp6crawl.datasette_plugin.serve` on a free 127.0.0.1 port and drive Debian's headless
``chromium`` with ``--dump-dom`` / ``--screenshot``. They load the URL the search box's form produces (the
form is a GET with ``_search``), which is what typing into the box and pressing Enter does; driving the
typing itself would need the DevTools protocol over a websocket client, which is not a dependency.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import lxml.html
import pytest
import sqlite_utils
from conftest import local_crawl
from datasette.app import Datasette

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search

QUERIES = ["血小板减少", "幹細胞", "艾曲泊帕"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small archive crawled from the replica (30 articles)."""
    db = tmp_path_factory.mktemp("datasette") / "itp6.db"
    with ReplicaServer(build_site(n_articles=30, seed=5)) as server:
        result = local_crawl(server.base_url, db)
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def get(databases: list[Path], path: str, **params: str) -> Any:
    """GET ``path`` from a Datasette over ``databases`` (the plugin is loaded through its entry point)."""

    async def fetch() -> Any:
        datasette = Datasette([str(db) for db in databases])
        await datasette.invoke_startup()
        return await datasette.client.get(path, params=params)

    return asyncio.run(fetch())


def table_search_ids(db: Path, query: str, **params: str) -> list[int]:
    response = get([db], "/itp6/articles.json", _search=query, _shape="array", _col="title", _size="max", **params)
    assert response.status_code == 200, response.text[:500]
    return [row["id"] for row in response.json()]


def test_the_plugin_is_registered() -> None:
    plugins = get([], "/-/plugins.json").json()
    assert any(plugin["name"] == "itp6crawl" for plugin in plugins)


@pytest.mark.parametrize("query", QUERIES)
def test_table_search_finds_what_the_cli_finds(archive: Path, query: str) -> None:
    expected = sorted(hit.id for hit in search(archive, query, limit=1000))
    assert expected, f"the replica should hold {query}"
    assert sorted(table_search_ids(archive, query)) == expected


def test_every_judged_query_finds_in_the_search_box_what_the_cli_finds(archive: Path) -> None:
    """The 59 queries of the relevance benchmark, through the table search (as the box sends them) and the
    ranked query, against `itp6crawl search`."""
    judged = Path(__file__).resolve().parent.parent / "benchmarks" / "search_queries.json"
    queries = [entry["query"] for entry in json.loads(judged.read_text(encoding="utf-8"))["queries"]]

    async def compare() -> int:
        datasette = Datasette([str(archive)])
        await datasette.invoke_startup()
        found_something = 0
        for query in queries:
            expected = [hit.id for hit in search(archive, query, limit=100)]
            params = {"_search": query, "_shape": "array", "_col": "title", "_size": "max"}
            table = await datasette.client.get("/itp6/articles.json", params=params)
            assert sorted(row["id"] for row in table.json()) == sorted(expected), query
            ranked = await datasette.client.get("/itp6/search.json", params={"q": query, "_shape": "array"})
            assert [row["id"] for row in ranked.json()] == expected, query
            found_something += bool(expected)
        return found_something

    assert asyncio.run(compare()) >= 30


def test_the_search_box_keeps_the_users_text(archive: Path) -> None:
    page = get([archive], "/itp6/articles", _search="血小板减少", _sort_desc="published_at").text
    assert 'name="_search" value="血小板减少"' in page
    assert "search matches &#34;血小板减少&#34;" in page


@pytest.mark.parametrize("table", ["articles", "dataset_articles"])
def test_a_plain_search_from_the_box_shows_the_ranked_results(archive: Path, table: str) -> None:
    response = get([archive], f"/itp6/{table}", _search="血小板减少")
    assert response.status_code == 302
    assert response.headers["location"] == "/itp6/search?" + urlencode({"q": "血小板减少"})
    # A sort, a filter or a column choice keeps the table's own search; so do the JSON API and raw mode.
    for extra in ({"_sort": "id"}, {"status": "live"}, {"_col": "title"}, {"_searchmode": "raw"}):
        assert get([archive], f"/itp6/{table}", _search="血小板减少", **extra).status_code == 200
    assert get([archive], f"/itp6/{table}.json", _search="血小板减少").status_code == 200
    assert get([archive], f"/itp6/{table}", _search=" ").status_code == 200


def test_the_search_top_lists_are_hidden_tables(archive: Path) -> None:
    tables = {table["name"]: table for table in get([archive], "/itp6.json").json()["tables"]}
    assert all(tables[name]["hidden"] for name in ("search_top", "search_top_terms", "search_state"))
    assert not tables["articles"]["hidden"]


def test_the_dataset_articles_view_has_no_internal_columns_and_searches(archive: Path) -> None:
    rows = get([archive], "/itp6/dataset_articles.json", _shape="array", _size="max").json()
    live = get([archive], "/itp6.json", sql="select count(*) as n from articles where status = 'live'", _shape="array")
    assert len(rows) == live.json()[0]["n"]
    assert set(rows[0]) & {"title_seg", "body_seg", "search_extra", "content_hash", "warc_file", "body_html"} == set()
    assert {"title", "body_text", "characters", "words", "versions", "last_seen_at"} <= set(rows[0])
    found = get([archive], "/itp6/dataset_articles.json", _search="艾曲泊帕", _shape="array", _size="max").json()
    assert sorted(row["id"] for row in found) == sorted(hit.id for hit in search(archive, "艾曲泊帕", limit=1000))


def test_any_input_searches_without_error(archive: Path) -> None:
    assert sorted(table_search_ids(archive, "TPO-RA")) == sorted(
        hit.id for hit in search(archive, "TPO-RA", limit=1000)
    )
    for query in ['"血小板', "AND OR (", "-", "CD4+CD25+", "eltrombo*"]:
        assert get([archive], "/itp6/articles.json", _search=query).status_code == 200
        assert get([archive], "/itp6/search.json", q=query).status_code == 200


def test_raw_search_mode_still_passes_fts5_syntax(archive: Path) -> None:
    raw = table_search_ids(archive, '"血小板" AND "减少"', _searchmode="raw")
    assert raw == table_search_ids(archive, "血小板减少")


def test_other_databases_keep_datasettes_own_search(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    docs = sqlite_utils.Database(other)["docs"]
    docs.insert({"id": 1, "text": "血小板减少"}, pk="id")
    docs.enable_fts(["text"])
    response = get([archive, other], "/other/docs.json", _search="血小板减少", _shape="array")
    assert [row["id"] for row in response.json()] == [1]  # not segmented: the unsegmented token matches


def test_zh_fts_is_an_sql_function(archive: Path) -> None:
    response = get([archive], "/itp6.json", sql="select zh_fts('血小板低') as m", _shape="array")
    assert response.json() == [{"m": '("血小板" AND "低")'}]
    response = get([], "/_memory.json", sql="select zh_fts('') as m", _shape="array")
    assert response.json() == [{"m": '""'}]


def test_the_search_query_ranks_like_the_cli_with_snippets(archive: Path) -> None:
    for query in QUERIES:
        rows = get([archive], "/itp6/search.json", q=query, _shape="array").json()
        assert [row["id"] for row in rows] == [hit.id for hit in search(archive, query, limit=100)]
        assert all("【" in row["snippet"] for row in rows[:3]), rows[:3]
    page = get([archive], "/itp6/search", q="艾曲泊帕").text
    assert '<mark class="itp6-hit">艾曲泊帕</mark>' in page and "/itp6/articles/" in page
    assert get([archive], "/itp6/search.json", q="", _shape="array").json() == []


def test_the_article_page_renders_the_clean_html(archive: Path) -> None:
    article_id = search(archive, "艾曲泊帕", limit=1)[0].id
    page = get([archive], f"/itp6/articles/{article_id}").text
    assert '<div class="itp6-article"><' in page and "&lt;p&gt;" not in page
    assert "/-/itp6crawl.css" in page
    css = get([archive], "/-/itp6crawl.css")
    assert css.status_code == 200 and "line-height" in css.text


# --- in a real browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium fonts-wqy-zenhei; .ci/run does)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(archive: Path) -> Iterator[str]:
    """``itp6crawl.datasette_plugin.serve(archive)`` in a subprocess; yields the base URL."""
    port = free_port()
    code = f"from itp6crawl.datasette_plugin import serve; serve({str(archive)!r}, port={port})"
    process = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, "serve() exited"
                assert time.monotonic() < deadline, "serve() did not answer in 30 s"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def keep_for_docs(shot: Path, name: str) -> None:
    """``ITP6_SCREENSHOTS=1 make test`` (or pytest) refreshes the README's screenshots in ``docs/``."""
    if os.environ.get("ITP6_SCREENSHOTS"):
        shutil.copy(shot, Path(__file__).resolve().parent.parent / "docs" / name)


def chromium(tmp_path: Path, url: str, *args: str) -> str:
    """Run headless chromium on ``url``; returns its stdout (the DOM with ``--dump-dom``)."""
    command = [
        str(CHROMIUM),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def column(dom: str, name: str) -> list[str]:
    return [cell.text_content().strip() for cell in lxml.html.fromstring(dom).cssselect(f"td.col-{name}")]


@browser
def test_the_search_box_in_a_browser(archive: Path, served: str, tmp_path: Path) -> None:
    query = "血小板减少"
    hits = search(archive, query, limit=100)
    # What the articles page's search box submits: redirected to the ranked results, best first as the CLI.
    url = f"{served}/itp6/articles?" + urlencode({"_search": query})
    ranked = chromium(tmp_path, url, "--dump-dom")
    assert column(ranked, "title") == [hit.title for hit in hits]
    assert lxml.html.fromstring(ranked).cssselect('input[name="q"]')[0].get("value") == query

    # The same box with a column choice keeps the table view: the same articles, in the table's order.
    table_url = f"{served}/itp6/articles?" + urlencode(
        {"_search": query, "_col": ["title", "published_at"]}, doseq=True
    )
    dom = chromium(tmp_path, table_url, "--dump-dom")
    assert sorted(column(dom, "title")) == sorted(hit.title for hit in hits)
    box = lxml.html.fromstring(dom).get_element_by_id("_search")
    assert box.get("value") == query

    shot = tmp_path / "search.png"
    chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,900")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    keep_for_docs(shot, "datasette-search.png")


@browser
def test_an_article_page_in_a_browser(archive: Path, served: str, tmp_path: Path) -> None:
    hit = search(archive, "艾曲泊帕", limit=1)[0]
    url = f"{served}/itp6/articles/{hit.id}"
    dom = lxml.html.fromstring(chromium(tmp_path, url, "--dump-dom"))
    article = dom.cssselect("div.itp6-article")
    assert article and article[0].cssselect("p"), "body_html is rendered as HTML"
    shot = tmp_path / "article.png"
    chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,900")
    assert shot.stat().st_size > 10_000
    keep_for_docs(shot, "datasette-article.png")
