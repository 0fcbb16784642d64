"""The Datasette plugin: Chinese search in the table search box and the canned query, article pages.

Unit tests go through ``Datasette(...).client`` (in process, no port). The browser tests serve the archive
with :func:`itp6crawl.datasette_plugin.serve` on a free 127.0.0.1 port and drive Debian's headless
``chromium`` as a user does: :class:`Browser` speaks the DevTools protocol over ``--remote-debugging-pipe``
(JSON messages separated by NUL bytes on file descriptors 3 and 4: no websocket client needed), clicks with
the mouse at an element's place, types text and presses Enter, so the search box's form is submitted with
everything it carries (the table's sort, its empty filter row, its hidden fields).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import lxml.html
import pytest
import sqlite_utils
from conftest import local_crawl
from datasette.app import Datasette

from itp6crawl.datasette_plugin import ARTICLES_TABLE_COLUMNS, ROW_PAGE_COLUMNS
from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search
from itp6crawl.store import Archive

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
    """The queries of the relevance benchmark, through the table search (as the box sends them) and the
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
    page = get([archive], "/itp6/articles", _search="血小板减少", status="live").text
    assert 'name="_search" value="血小板减少"' in page
    assert "search matches &#34;血小板减少&#34;" in page


# What the search box's form sends (Datasette 0.65's table.html): the typed text, the empty "add a filter" row,
# the sort select and its "descending" checkbox set to the table's sort, and the page's hidden fields.
FORM_BY_DATE = {"_filter_column": "", "_filter_op": "exact", "_filter_value": "", "_sort": "published_at"}


@pytest.mark.parametrize("table", ["articles", "dataset_articles"])
def test_a_search_from_the_box_shows_the_ranked_results_whatever_the_sort(archive: Path, table: str) -> None:
    ranked = "/itp6/search?" + urlencode({"q": "血小板减少"})
    for form in (
        {},
        {"_sort_desc": "published_at"},  # the URL the form ends at after Datasette's own redirect
        {**FORM_BY_DATE, "_sort_by_desc": "on"},  # the form as the browser submits it
        {**FORM_BY_DATE, "_sort": "title"},  # after a click on a column's sort
        {"_sort": "id", "_searchmode": "escaped"},
        {"_nocol": "body_seg", "_sort": "id"} if table == "articles" else {"_sort": "id"},  # a default hidden column
    ):
        response = get([archive], f"/itp6/{table}", _search="血小板减少", **form)
        assert (response.status_code, response.headers.get("location")) == (302, ranked), form
    # A filter or a column choice searches within the table; so do the JSON API, raw mode and paging.
    for extra in (
        {"status": "live"},
        {**FORM_BY_DATE, "_filter_column": "author", "_filter_value": "小林"},
        {"_col": "title"},
        {"_nocol": "author"},
        {"_facet": "author"},
        {"_searchmode": "raw"},
        {"_next": "10"},
    ):
        response = get([archive], f"/itp6/{table}", _search="血小板减少", **extra)
        assert response.status_code in (200, 302) and "/search" not in response.headers.get("location", ""), extra
    assert get([archive], f"/itp6/{table}.json", _search="血小板减少").status_code == 200
    assert get([archive], f"/itp6/{table}", _search=" ").status_code == 200


INTERNAL = {"title_seg", "body_seg", "search_extra", "content_hash", "warc_file", "warc_offset"}
# What a reader does not need on a table page or in the JSON of a search: the internal columns and the
# article's HTML (its row page renders it).
HIDDEN_BY_DEFAULT = INTERNAL | {"body_html"}


def test_the_index_leads_with_the_search_and_the_dataset_views(archive: Path) -> None:
    page = lxml.html.fromstring(get([archive], "/").text)
    links = [link.get("href") for link in page.cssselect("section.content a")]
    assert links.index("/itp6/search") < links.index("/itp6/dataset_articles") < links.index("/itp6")
    assert page.cssselect('section.content form[action="/itp6/search"] input[name="q"]'), (
        "a search box for the ranked search"
    )
    listed = [link.get("href") for link in page.cssselect('section.content a[href^="/itp6/"]')]
    for internal in ("_sqlite_migrations", "crawl_state", "crawl_runs", "failures", "archive_info", "links"):
        assert f"/itp6/{internal}" not in listed, listed


def test_the_database_page_leads_with_the_search_and_hides_internal_tables(archive: Path) -> None:
    page = lxml.html.fromstring(get([archive], "/itp6").text)
    main = page.cssselect("section.content")[0]
    links = [link.get("href") for link in main.cssselect("a")]
    assert links.index("/itp6/search") < links.index("/itp6/dataset_articles") < links.index("/itp6/articles")
    assert main.cssselect('form[action="/itp6/search"] input[name="q"]')
    assert page.cssselect("textarea#sql-editor")[0].text == "select * from articles"
    visible = [h3.text_content().strip() for h3 in main.cssselect("div.db-table h3")]
    assert visible == ["articles"], visible
    tables = {table["name"]: table for table in get([archive], "/itp6.json").json()["tables"]}
    for internal in ("_sqlite_migrations", "archive_info", "crawl_state", "crawl_runs", "failures", "search_top"):
        assert tables[internal]["hidden"], internal
    for public in ("links", "comments", "article_versions"):  # their dataset_* views are the reader's
        assert tables[public]["hidden"], public
    # Hidden, not gone: the database page's "hidden tables" link and the tables themselves still answer.
    assert "?_show_hidden=1" in get([archive], "/itp6").text
    assert "crawl_state" in get([archive], "/itp6", _show_hidden="1").text
    assert get([archive], "/itp6/crawl_state.json", _shape="array").status_code == 200


@pytest.mark.parametrize("table", ["articles", "article_versions"])
def test_tables_hide_internal_columns_by_default(archive: Path, table: str) -> None:
    columns = set(get([archive], f"/itp6/{table}.json").json()["columns"])
    assert columns & HIDDEN_BY_DEFAULT == set() and {"title", "url", "body_text"} <= columns
    page = lxml.html.fromstring(get([archive], "/itp6/articles").text)
    shown = {th.get("data-column") for th in page.cssselect("th[data-column]")}
    assert shown & HIDDEN_BY_DEFAULT == set() and "title" in shown
    # Reachable: named with _col (the description links to every column), hiding more with _nocol.
    everything = get([archive], f"/itp6/{table}.json", _col=sorted(HIDDEN_BY_DEFAULT & set_of_columns(table)))
    assert set(everything.json()["columns"]) >= HIDDEN_BY_DEFAULT & set_of_columns(table)
    fewer = set(get([archive], f"/itp6/{table}.json", _nocol="summary").json()["columns"])
    assert fewer == columns - {"summary"}


def test_the_row_pages_label_every_column_of_their_tables(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "itp6.db") as fresh:
        articles = {column.name for column in fresh.db["articles"].columns}
        versions = {column.name for column in fresh.db["article_versions"].columns}
    assert ARTICLES_TABLE_COLUMNS[0] == "id" and set(ARTICLES_TABLE_COLUMNS) == articles
    assert set(ROW_PAGE_COLUMNS) == articles | versions


def set_of_columns(table: str) -> set[str]:
    return INTERNAL | {"body_html"} if table == "articles" else {"content_hash", "body_html"}


def test_the_json_of_a_search_has_the_public_columns_only(archive: Path) -> None:
    for path, params in (
        ("/itp6/articles.json", {"_search": "血小板减少"}),
        ("/itp6/articles.json", {"_search": "血小板减少", "_shape": "array"}),
        ("/itp6/dataset_articles.json", {"_search": "血小板减少"}),
        ("/itp6/search.json", {"q": "血小板减少"}),
        ("/itp6/search.json", {"q": "血小板减少", "_shape": "array"}),
    ):
        body = get([archive], path, **params).json()
        rows = body if isinstance(body, list) else body["rows"]
        names = set(rows[0]) if isinstance(rows[0], dict) else set(body["columns"])
        assert rows and names & HIDDEN_BY_DEFAULT == set() and "title" in names, (path, params, names)


def test_the_table_facets_are_what_a_reader_browses_by(archive: Path) -> None:
    for table in ("articles", "dataset_articles"):
        body = get([archive], f"/itp6/{table}.json", _size="1").json()
        facets = body["facet_results"]
        types = {name: facet["type"] for name, facet in facets.items()}
        expected = {"categories": "array", "tags": "array", "author": "column", "published_at": "year"}
        assert expected.items() <= types.items(), (table, types)
        assert body["suggested_facets"] == [], "no suggestions of summary, body_text, ..."
        years = facets["published_at"]["results"]
        assert years and all(len(year["value"]) == 4 for year in years)
        assert [year["value"] for year in years] == sorted((year["value"] for year in years), reverse=True)
        # The year's link filters the table to that year, and the facet shows it selected.
        year = years[0]
        toggle = urlsplit(year["toggle_url"])
        chosen = get([archive], toggle.path, **{**dict(parse_qsl(toggle.query)), "_size": "max", "_shape": "objects"})
        assert chosen.status_code == 200, chosen.text[:300]
        rows = chosen.json()["rows"]
        assert len(rows) == chosen.json()["filtered_table_rows_count"] == year["count"]
        assert all(row["published_at"].startswith(year["value"]) for row in rows)
        assert any(result["selected"] for result in chosen.json()["facet_results"]["published_at"]["results"])
    assert get([archive], "/itp6/articles", _facet_year="nonexistent").status_code == 400


def test_the_search_top_lists_are_hidden_tables(archive: Path) -> None:
    tables = {table["name"]: table for table in get([archive], "/itp6.json").json()["tables"]}
    assert all(tables[name]["hidden"] for name in ("search_top", "search_top_terms", "search_state"))
    changes = [name for name in tables if name.startswith("search_changes")]  # and their FTS5 shadow tables
    assert len(changes) > 5 and all(tables[name]["hidden"] for name in changes), changes
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
    raw = table_search_ids(archive, '"孩子" AND "治疗"', _searchmode="raw")
    assert raw and raw == table_search_ids(archive, "孩子治疗")


def test_other_databases_keep_datasettes_own_search(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    docs = sqlite_utils.Database(other)["docs"]
    docs.insert({"id": 1, "text": "血小板减少"}, pk="id")
    docs.enable_fts(["text"])
    response = get([archive, other], "/other/docs.json", _search="血小板减少", _shape="array")
    assert [row["id"] for row in response.json()] == [1]  # not segmented: the unsegmented token matches


def test_zh_fts_is_an_sql_function(archive: Path) -> None:
    response = get([archive], "/itp6.json", sql="select zh_fts('血小板低', 'exact') as m", _shape="array")
    assert response.json() == [{"m": '("血小板" AND "低")'}]
    response = get([archive], "/itp6.json", sql="select zh_fts('eltrombopag') as m", _shape="array")
    assert response.json()[0]["m"] == '"\ue0f1eltrombopag\ue0f1"'  # the concept, as this archive's index holds it
    response = get([], "/_memory.json", sql="select zh_fts('') as m", _shape="array")
    assert response.json() == [{"m": '""'}]


def test_the_search_query_ranks_like_the_cli_with_snippets(archive: Path) -> None:
    for query in QUERIES:
        rows = get([archive], "/itp6/search.json", q=query, _shape="array").json()
        assert [row["id"] for row in rows] == [hit.id for hit in search(archive, query, limit=100)]
        # A match begins (U+E000) in the body of the best, unless another name of the concept matched
        # only the title (血小板减少 also searches 血小板低, the lay name, which a title may hold alone).
        assert any("\ue000" in row["snippet"] for row in rows[:3]), rows[:3]
    page = get([archive], "/itp6/search", q="艾曲泊帕").text
    assert '<mark class="itp6-hit">艾曲泊帕</mark>' in page and "/itp6/articles/" in page
    assert get([archive], "/itp6/search.json", q="", _shape="array").json() == []


def test_the_ranked_search_highlights_only_real_matches(archive: Path, tmp_path: Path) -> None:
    """The site writes 【解读】 itself: shown as written and never highlighted unless searched; <mark> goes
    exactly around the matches (search.zh_snippet_matches), the rest of the snippet escaped."""
    db = tmp_path / "itp6.db"
    with closing(sqlite3.connect(archive)) as source, closing(sqlite3.connect(db)) as target:
        source.backup(target)
    article_id = search(db, "艾曲泊帕", limit=1)[0].id
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "update articles set body_text = ?, body_seg = body_seg || ' 解读' where id = ?",
            ["【解读】艾曲泊帕<b>是</b>一种药。【指南原文】见下。", article_id],
        )

    def snippet_cell(query: str) -> Any:
        page = lxml.html.fromstring(get([db], "/itp6/search", q=query).text)
        rows = page.cssselect("table.rows-and-columns tbody tr")
        return next(row for row in rows if row.cssselect("td.col-id")[0].text_content().strip() == str(article_id))

    cell = snippet_cell("艾曲泊帕").cssselect("td.col-snippet")[0]
    assert [mark.text for mark in cell.cssselect("mark.itp6-hit")] == ["艾曲泊帕"]
    assert "【解读】" in cell.text_content() and "【指南原文】" in cell.text_content()
    assert "<b>是</b>" in cell.text_content() and not cell.cssselect("b"), "the text is escaped"
    cell = snippet_cell("解读").cssselect("td.col-snippet")[0]
    assert [mark.text for mark in cell.cssselect("mark.itp6-hit")] == ["解读"]
    assert "【解读】" in cell.text_content()
    rows = get([db], "/itp6/search.json", q="艾曲泊帕", _shape="array").json()
    assert next(row for row in rows if row["id"] == article_id)["snippet"].startswith("【解读】"), "JSON: plain text"


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


class Browser:
    """Headless chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
    messages ending in a NUL byte, read by chromium from descriptor 3, written to descriptor 4). One tab;
    the mouse, the keyboard and text input go through ``Input.*`` as a user's would."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 900) -> None:
        read_end, self._write = os.pipe()
        self._read, write_end = os.pipe()
        # The child's ends above 9 (bash, not dash, redirects those), so that putting them on 3 and 4 never
        # overwrites one with the other.
        to_chromium, from_chromium = (fcntl.fcntl(end, fcntl.F_DUPFD, 10) for end in (read_end, write_end))
        os.close(read_end)
        os.close(write_end)
        command = [
            *("bash", "-c", f'exec "$0" "$@" 3<&{to_chromium} 4>&{from_chromium}', str(CHROMIUM)),
            *("--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run"),
            *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
            *("--hide-scrollbars", f"--window-size={width},{height}", f"--user-data-dir={profile}", "about:blank"),
        ]
        self.process = subprocess.Popen(
            command, pass_fds=(to_chromium, from_chromium), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        os.close(to_chromium)
        os.close(from_chromium)
        self._buffer = b""
        self._next_id = 0
        self.console: list[str] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "chromium did not answer in 60 s"
            chunk = os.read(self._read, 1 << 20)
            assert chunk, "chromium closed its pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if method.split(".")[0] not in ("Target", "Browser"):
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            if answer.get("method") == "Log.entryAdded":
                self.console.append(answer["params"]["entry"]["text"])
            elif answer.get("method") == "Runtime.consoleAPICalled":
                self.console += [str(arg.get("value")) for arg in answer["params"]["args"]]

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text"))
        return result["result"].get("value")

    def wait_until(self, expression: str, what: str) -> None:
        """Until ``expression`` is true in the page (a page being replaced may not answer meanwhile)."""
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.evaluate(expression):
                    return
            except RuntimeError:
                pass
            assert time.monotonic() < deadline, f"the browser never got to {what}"
            time.sleep(0.1)

    def navigates(self, action: Any) -> None:
        """Do ``action`` (a click, a key) and wait for the page it leads to, after any redirects."""
        self.evaluate("window.itp6OldPage = true")
        action()
        self.wait_until("!window.itp6OldPage && document.readyState === 'complete'", "the next page")

    def open(self, url: str) -> None:
        self.navigates(lambda: self.send("Page.navigate", url=url))

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def dom(self) -> Any:
        return lxml.html.fromstring(self.evaluate("document.documentElement.outerHTML"))

    def click(self, selector: str) -> None:
        """A left click of the mouse in the middle of the element (scrolled into view)."""
        found = json.dumps(selector)
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({found}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        assert box, f"no {selector} on {self.url}"
        x, y = box
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Text into the focused element, as an input method commits it (Chinese is not typed key by key)."""
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        keys = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", type="keyDown", text="\r", **keys)
        self.send("Input.dispatchKeyEvent", type="keyUp", **keys)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Browser]:
    driver = Browser(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.close()


def column(dom: Any, name: str) -> list[str]:
    return [cell.text_content().strip() for cell in dom.cssselect(f"td.col-{name}")]


def assert_ranked_results(tab: Browser, archive: Path, query: str) -> None:
    """The page is the ranked search for ``query``: the CLI's order, highlighted snippets, the box filled."""
    address = urlsplit(tab.url)
    assert address.path == "/itp6/search" and parse_qs(address.query) == {"q": [query]}, tab.url
    dom = tab.dom()
    assert column(dom, "title") == [hit.title for hit in search(archive, query, limit=100)]
    assert dom.cssselect("td.col-snippet mark.itp6-hit"), "highlighted snippets"
    assert dom.cssselect('input[name="q"]')[0].get("value") == query
    assert [line for line in tab.console if "Content Security Policy" in line] == []


@browser
@pytest.mark.parametrize("table", ["articles", "dataset_articles"])
@pytest.mark.parametrize("submit", ["enter", "click"])
def test_typing_a_search_into_the_box_shows_the_ranked_results(
    archive: Path, served: str, tab: Browser, table: str, submit: str
) -> None:
    query = "血小板减少"
    tab.open(f"{served}/itp6/{table}")
    tab.click("#_search")
    tab.type(query)
    tab.navigates(tab.press_enter if submit == "enter" else lambda: tab.click('form.filters input[type="submit"]'))
    assert_ranked_results(tab, archive, query)


@browser
@pytest.mark.parametrize("table", ["articles", "dataset_articles"])
def test_a_search_after_sorting_by_a_column_shows_the_ranked_results(
    archive: Path, served: str, tab: Browser, table: str
) -> None:
    query = "艾曲泊帕"
    tab.open(f"{served}/itp6/{table}")
    tab.navigates(lambda: tab.click("th.col-title a"))
    assert parse_qs(urlsplit(tab.url).query).get("_sort") == ["title"], tab.url
    tab.click("#_search")
    tab.type(query)
    tab.navigates(tab.press_enter)
    assert_ranked_results(tab, archive, query)


@browser
def test_a_search_with_a_filter_searches_within_the_table(archive: Path, served: str, tab: Browser) -> None:
    """With a filter the box searches the table, in its order, and keeps the text typed."""
    query = "血小板减少"
    tab.open(f"{served}/itp6/articles?status=live")
    tab.click("#_search")
    tab.type(query)
    tab.navigates(tab.press_enter)
    assert urlsplit(tab.url).path == "/itp6/articles", tab.url
    dom = tab.dom()
    assert sorted(column(dom, "title")) == sorted(hit.title for hit in search(archive, query, limit=100))
    assert dom.get_element_by_id("_search").get("value") == query


@browser
def test_the_screenshots_of_the_readme(archive: Path, served: str, tab: Browser, tmp_path: Path) -> None:
    """The index, a search typed into the box and an article, as the README shows them."""
    tab.open(f"{served}/")
    assert tab.dom().cssselect('form[action="/itp6/search"]')
    tab.screenshot(tmp_path / "index.png")
    tab.click('form[action="/itp6/search"] input[name="q"]')
    tab.type("艾曲泊帕")
    tab.navigates(tab.press_enter)
    assert_ranked_results(tab, archive, "艾曲泊帕")

    tab.open(f"{served}/itp6/dataset_articles")
    tab.click("#_search")
    tab.type("血小板减少")
    tab.navigates(tab.press_enter)
    assert_ranked_results(tab, archive, "血小板减少")
    tab.screenshot(tmp_path / "search.png")

    hit = search(archive, "艾曲泊帕", limit=1)[0]
    tab.open(f"{served}/itp6/articles/{hit.id}")
    article = tab.dom().cssselect("div.itp6-article")
    assert article and article[0].cssselect("p"), "body_html is rendered as HTML"
    tab.screenshot(tmp_path / "article.png")
    for name in ("index", "search", "article"):
        shot = tmp_path / f"{name}.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        keep_for_docs(shot, f"datasette-{name}.png")


def test_the_search_query_expands_a_concept_and_says_so(archive: Path) -> None:
    rows = get([archive], "/itp6/search.json", q="eltrombopag", _shape="array").json()
    assert [row["id"] for row in rows] == [hit.id for hit in search(archive, "eltrombopag", limit=100)]
    assert rows and all(row["notes"].startswith("also searched: eltrombopag: 艾曲泊帕, ") for row in rows)
    assert "\ue000艾曲泊帕\ue001" in rows[0]["snippet"]  # the name found is marked
    box = table_search_ids(archive, "eltrombopag")  # the search box: the same expansion
    assert sorted(box) == sorted(row["id"] for row in rows)


def test_a_misspelling_finds_in_datasette_what_it_finds_in_the_cli(archive: Path) -> None:
    rows = get([archive], "/itp6/search.json", q="艾曲波帕", _shape="array").json()
    assert rows and [row["id"] for row in rows] == [hit.id for hit in search(archive, "艾曲波帕", limit=100)]
    assert "did you mean: 艾曲泊帕? (searched too)" in rows[0]["notes"]
    assert sorted(table_search_ids(archive, "艾曲波帕")) == sorted(row["id"] for row in rows)  # the box too
