"""``itp6crawl serve`` is safe to open and to put behind a proxy.

- Article HTML is rendered only from the archive's own rows (``articles`` and ``article_versions`` pages),
  sanitised again at render time; everything else (arbitrary SQL, canned queries) is escaped.
- Every response carries a Content-Security-Policy without inline script (Datasette's own inline scripts
  are allowed by hash), ``X-Content-Type-Options``, ``X-Frame-Options``/``frame-ancestors`` and a
  ``Referrer-Policy``.
- Bad methods and bad parameters get 4xx, never 500.
- ``--public`` turns off arbitrary SQL and downloads; a read-only archive (file or folder) is served
  immutable, leaving its folder and bytes as they were.

The browser tests load hostile pages in Debian's headless ``chromium``: the payloads would change
``document.title`` or request a beacon server on 127.0.0.1 that records every hit; nothing may run, and
Datasette's own pages (table menus, the SQL editor, facets, search) must still work with no CSP violation
in the console (``--enable-logging=stderr`` prints it).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import lxml.html
import pytest
from datasette.app import Datasette

from itp6crawl.datasette_plugin import make_datasette, sanitise_html

HOSTILE_ID = 990001
BEACON = "http://127.0.0.1:{port}"


def hostile_vectors(beacon: str) -> list[str]:
    """Script vectors a stored page could hold if it bypassed the extractor."""
    return [
        f'<script>document.title="pw"+"ned-script";fetch("{beacon}/script")</script>',
        f"<img src=x onerror=\"document.title='pw'+'ned-onerror';fetch('{beacon}/onerror')\">",
        "<a href=\"javascript:document.title='pw'+'ned-js'\">js link</a>",
        f'<a href=" JaVaScRiPt:fetch(&quot;{beacon}/js2&quot;)">js link 2</a>',
        f'<iframe src="{beacon}/iframe"></iframe>',
        f"<svg><script>fetch('{beacon}/svg-script')</script></svg>",
        f"<svg onload=\"fetch('{beacon}/svg')\"></svg>",
        f'<p style="background:url({beacon}/style)">styled</p>',
        f"<style>body{{background:url({beacon}/styletag)}}</style>",
        f'<object data="{beacon}/object"></object><embed src="{beacon}/embed">',
        f'<form action="{beacon}/form"><button formaction="{beacon}/button">go</button></form>',
        f"<math><mtext><table><mglyph><style><img src=x onerror=fetch('{beacon}/mxss')>",
        f"<noscript><p title=\"</noscript><img src=x onerror=fetch('{beacon}/noscript')>\"></noscript>",
        f'<meta http-equiv="refresh" content="0;url={beacon}/meta">',
        f'<base href="{beacon}/base/">',
        f"<details open ontoggle=\"fetch('{beacon}/toggle')\"><summary>s</summary></details>",
        f"<img src=\"data:image/svg+xml,&lt;svg onload=fetch('{beacon}/data')&gt;\">",
        f"<!--><img src=x onerror=fetch('{beacon}/comment')>-->",
        f"<xmp><img src=x onerror=fetch('{beacon}/xmp')></xmp>",
        f'<a href="https://www.itp6.com/1.html" onclick="fetch(\'{beacon}/click\')">ok link</a>',
    ]


def hostile_html(beacon: str) -> str:
    return "<p>正文<b>保留</b></p>" + "".join(hostile_vectors(beacon))


def hostile_sql(beacon: str) -> str:
    """A query whose columns hold script, under the names the plugin renders specially."""
    img = f"<img src=x onerror=\"document.title='pw'+'ned-sql';fetch('{beacon}/sql')\">"
    script = f"<script>document.title='pw'+'ned-sql-script';fetch('{beacon}/sql-script')</script>"

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    return (
        f"select 1 as id, {literal(img)} as body_html, {literal(script)} as title, {literal(img)} as snippet, "
        f"{literal(script + '【x】')} as summary, 'https://www.itp6.com/1.html' as url"
    )


def add_hostile_article(db: Path, beacon: str) -> None:
    """An article row (and an earlier version of it) whose HTML holds script vectors, written straight into
    the archive, bypassing the extractor."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("select * from articles order by id limit 1").fetchone())
        html = hostile_html(beacon)
        row.update(
            id=HOSTILE_ID,
            url=f"https://www.itp6.com/{HOSTILE_ID}.html",
            title=f"<script>fetch('{beacon}/title')</script>恶意标题",
            title_seg="xssprobe",
            body_html=html,
            body_text=f"<img src=x onerror=fetch('{beacon}/text')> 艾曲泊帕",
            content_hash="hostile",
        )
        conn.execute(
            f"insert into articles ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
        )
        columns = [r[1] for r in conn.execute("pragma table_info(article_versions)")]
        version = {column: row.get(column) for column in columns} | {
            "article_id": HOSTILE_ID,
            "version": 1,
            "archived_at": row["fetched_at"],
        }
        conn.execute(
            f"insert into article_versions ({', '.join(version)}) values ({', '.join('?' * len(version))})",
            list(version.values()),
        )


def copy_archive(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


@pytest.fixture(scope="module")
def hostile_archive(replica_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "itp6.db"
    copy_archive(replica_archive, db)
    add_hostile_article(db, BEACON.format(port=9))  # port 9 (discard): the in-process tests never fetch
    return db


@pytest.fixture(scope="module")
def small_hostile_archive(hostile_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile archive cut to the hostile article and three others: every page, facet and search form
    is still there, and each of the hundreds of requests below renders a few rows instead of forty."""
    db = tmp_path_factory.mktemp("hostile-small") / "itp6.db"
    copy_archive(hostile_archive, db)
    with closing(sqlite3.connect(db)) as conn, conn:
        keep = [row[0] for row in conn.execute("SELECT id FROM articles ORDER BY id LIMIT 3")] + [HOSTILE_ID]
        marks = ", ".join("?" * len(keep))
        for table, column in (("links", "src_id"), ("comments", "article_id"), ("article_versions", "article_id")):
            conn.execute(f"DELETE FROM {table} WHERE {column} NOT IN ({marks})", keep)
        conn.execute(f"DELETE FROM articles WHERE id NOT IN ({marks})", keep)
    return db


def request(db: Path, path: str, method: str = "GET", datasette: Datasette | None = None, **params: Any) -> Any:
    """``method path?params`` in process, on ``serve``'s Datasette over ``db`` unless ``datasette`` is given."""

    async def go() -> Any:
        ds = datasette or make_datasette(db)
        await ds.invoke_startup()
        return await ds.client.request(method, path, params=params)

    return asyncio.run(go())


def plain_datasette(databases: list[Path]) -> Datasette:
    """``datasette FILE…``: the plugin through its entry point, without ``serve``'s settings."""
    return Datasette([str(db) for db in databases])


# --- rendering: sanitised stored HTML, escaped SQL output ----------------------------------------------


DANGEROUS_TAGS = ("script", "iframe", "object", "embed", "style", "svg", "math", "form", "meta", "base", "link")


def assert_page_inert(body: Any) -> None:
    """What a Datasette page may not hold (its own style attributes, icons and hashed inline scripts
    aside): no event attribute, no script URL, no frame or plugin, no script element but Datasette's."""
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("iframe", "object", "embed", "base", "meta", "form") or (
            element.tag == "form" and element.get("action", "").startswith("/")
        ), lxml.html.tostring(element)[:200]
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            if name.lower() in ("href", "src", "action", "formaction"):
                assert not re.match(r"^\s*(javascript|data|vbscript):", value, re.I), (name, value)
        if element.tag == "script":
            assert element.get("src", "").startswith("/-/static/") or "fetch(" not in (element.text or "")


def assert_inert(fragment: Any) -> None:
    """No element that runs script or loads a document, no event or style attribute, no script URL."""
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in DANGEROUS_TAGS, lxml.html.tostring(element)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert name.lower() not in ("style", "formaction", "srcdoc", "action"), (name, value)
            if name.lower() in ("href", "src"):
                assert re.match(r"^(https?://|#|/(?!/))", value.strip()), (name, value)


@pytest.mark.parametrize("vector", hostile_vectors("http://127.0.0.1:9"))
def test_the_sanitiser_removes_every_vector(vector: str) -> None:
    clean = sanitise_html(vector)
    assert_inert(lxml.html.fragment_fromstring(clean, create_parent="div"))
    assert "<script" not in clean.lower() and "javascript:" not in clean.lower().replace(" ", "")


def test_the_sanitiser_keeps_the_articles_own_markup() -> None:
    html = (
        "<div><h2>标题</h2><p>正文<strong>加粗</strong><em>斜体</em><br>下一行</p><ul><li>一</li></ul>"
        '<figure><img src="https://www.itp6.com/a.jpg" alt="化验单" width="300"><figcaption>说明</figcaption></figure>'
        '<table><tr><th scope="col">项目</th><td colspan="2">80</td></tr></table>'
        '<blockquote>引用</blockquote><a href="https://www.itp6.com/2.html" title="下一篇">下一篇</a></div>'
    )
    clean = lxml.html.fragment_fromstring(sanitise_html(html), create_parent="div")
    assert clean.text_content() == lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    assert [e.tag for e in clean.iter()][1:] == [e.tag for e in lxml.html.fragment_fromstring(html).iter()]
    image = clean.cssselect("img")[0]
    assert (image.get("src"), image.get("alt"), image.get("width")) == ("https://www.itp6.com/a.jpg", "化验单", "300")
    link = clean.cssselect("a")[0]
    assert link.get("href") == "https://www.itp6.com/2.html" and "noopener" in link.get("rel")
    assert clean.cssselect("td")[0].get("colspan") == "2"


@pytest.mark.parametrize("path", [f"/itp6/articles/{HOSTILE_ID}", f"/itp6/article_versions/{HOSTILE_ID},1"])
def test_a_hostile_stored_page_is_sanitised_on_its_row_page(hostile_archive: Path, path: str) -> None:
    response = request(hostile_archive, path)
    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    article = page.cssselect("div.itp6-article")
    assert len(article) == 1, "the archive's own body_html is still rendered as HTML"
    assert article[0].cssselect("p b")[0].text == "保留"
    assert_inert(article[0])
    assert_page_inert(page.cssselect("body")[0])  # also: the title and body_text are escaped by Datasette


def test_a_hostile_stored_page_is_sanitised_on_the_table_page(hostile_archive: Path) -> None:
    """body_html is hidden on the table page by default; chosen with _col, it is sanitised there too."""
    columns = ["title", "body_text", "body_html"]
    response = request(hostile_archive, "/itp6/articles", id=str(HOSTILE_ID), _col=columns)
    page = lxml.html.fromstring(response.text)
    article = page.cssselect("div.itp6-article")
    assert len(article) == 1
    assert_inert(article[0])
    assert_page_inert(page.cssselect("body")[0])


@pytest.mark.parametrize("plain", [False, True], ids=["serve", "datasette FILE"])
def test_sql_output_is_always_escaped(hostile_archive: Path, plain: bool) -> None:
    ds = plain_datasette([hostile_archive]) if plain else None
    response = request(hostile_archive, "/itp6", datasette=ds, sql=hostile_sql("http://127.0.0.1:9"))
    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    assert not page.cssselect("div.itp6-article"), "body_html of arbitrary SQL is not rendered as HTML"
    assert_inert(page.cssselect("table.rows-and-columns")[0])
    cells = {cell.get("class").split()[0]: cell.text_content() for cell in page.cssselect("td")}
    assert cells["col-body_html"].startswith("<img src=x onerror=")  # shown as text
    assert cells["col-title"].startswith("<script>")


def test_canned_query_output_is_escaped(hostile_archive: Path) -> None:
    rows = request(hostile_archive, "/itp6/search.json", q="xssprobe", _shape="array").json()
    assert [row["id"] for row in rows] == [HOSTILE_ID]
    page = lxml.html.fromstring(request(hostile_archive, "/itp6/search", q="xssprobe").text)
    assert_inert(page.cssselect("table.rows-and-columns")[0])
    assert any("<script>" in cell.text_content() for cell in page.cssselect("td.col-title"))


def test_another_databases_body_html_is_escaped(hostile_archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table articles (id integer primary key, body_html text)")
        conn.execute("insert into articles values (1, ?)", ["<img src=x onerror=alert(1)><p>x</p>"])
    page = request(hostile_archive, "/other/articles/1", datasette=plain_datasette([hostile_archive, other])).text
    assert "<img src=x onerror" not in page and "&lt;img src=x onerror" in page


@pytest.mark.parametrize(
    "params",
    [
        {"_sort": "<img src=x onerror=alert(1)>"},
        {"_facet": '{"simple": "<img src=x onerror=alert(1)>"}'},
        {"_facet": '{"<img src=x onerror=alert(1)>": 1}'},
        {"_search": "<img src=x onerror=alert(1)>", "status": "live"},
        {"_timelimit": "<img src=x onerror=alert(1)>"},
        {"<img src=x onerror=alert(1)>": "1"},
    ],
)
def test_what_a_page_echoes_from_the_request_is_escaped(hostile_archive: Path, params: dict[str, str]) -> None:
    response = request(hostile_archive, "/itp6/articles", **params)
    assert response.status_code < 500
    assert "<img src=x" not in response.text
    assert_page_inert(lxml.html.fromstring(response.text).cssselect("body")[0])


# --- headers ------------------------------------------------------------------------------------------

PAGES = [
    "/",
    "/itp6",
    "/itp6/articles",
    "/itp6/articles?_facet=status",
    f"/itp6/articles/{HOSTILE_ID}",
    "/itp6/dataset_articles",
    "/itp6/search?q=艾曲泊帕",
    "/itp6/latest",
    "/itp6?sql=select+1",
    "/itp6/articles.json",
    "/-/static/app.css",
    "/-/itp6crawl.css",
    "/itp6/nope",
    "/itp6/articles?_size=abc",
]


def csp_directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_the_security_headers(hostile_archive: Path, path: str) -> None:
    response = request(hostile_archive, path)
    headers = response.headers
    policy = csp_directives(headers["content-security-policy"])
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert "*" not in policy["script-src"] and "http:" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", [p for p in PAGES if not p.startswith("/-/") and ".json" not in p])
def test_datasettes_inline_scripts_are_allowed_by_their_hash(hostile_archive: Path, path: str) -> None:
    """Every inline script a page carries is one the CSP lists: Datasette's own, nothing else."""
    response = request(hostile_archive, path)
    allowed = csp_directives(response.headers["content-security-policy"])["script-src"]
    for script in lxml.html.fromstring(response.text).iter("script"):
        if script.get("src"):
            continue
        body = re.search(r"<script[^>]*>(.*?)</script>", lxml.html.tostring(script, encoding="unicode"), re.S)
        digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, (path, body and body.group(1)[:80])


def test_the_headers_come_with_plain_datasette_too(hostile_archive: Path) -> None:
    response = request(hostile_archive, "/itp6/articles", datasette=plain_datasette([hostile_archive]))
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


# --- bad methods and bad parameters -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "path", ["/", "/itp6", "/itp6/articles", f"/itp6/articles/{HOSTILE_ID}", "/itp6/search", "/-/messages"]
)
def test_bad_methods_are_refused_with_405(hostile_archive: Path, method: str, path: str) -> None:
    response = request(hostile_archive, path, method=method)
    assert response.status_code == 405, response.text[:300]
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_head_still_answers(hostile_archive: Path) -> None:
    assert request(hostile_archive, "/itp6/articles", method="HEAD").status_code == 200


BAD_PARAMETERS = [
    {"_sort": "nonexistent"},
    {"_sort_desc": "nonexistent"},
    {"_sort_desc": ""},
    {"_sort": "id", "_sort_desc": "id"},
    {"_size": "abc"},
    {"_size": "-1"},
    {"_size": "99999999999999999999"},
    {"_facet": "unknown"},
    {"_facet": "{bad json"},
    {"_facet": '{"simple": 1}'},
    {"_facet": "[]"},
    {"_facet_array": "unknown"},
    {"_facet_date": "unknown"},
    {"_facet_size": "abc"},
    {"_col": "unknown"},
    {"_nocol": "unknown"},
    {"_nocol": "id"},
    {"_next": "garbage"},
    {"_next": "a,b,c,d"},
    {"_next": "-1"},
    {"_where": "nonexistent = 1"},
    {"_through": "x"},
    {"_through": "[1]"},
    {"_through": "{}"},
    {"_through": '{"table": "nope", "column": "x", "value": 1}'},
    {"_timelimit": "abc"},
    {"_ttl": "abc"},
    {"_shape": "bad"},
    {"_labels": "abc"},
    {"id__in": "[["},
    {"id__in": '[{"a": 1}]'},
    {"id__gt": "abc"},
    {"id__bogus": "1"},
    {"nonexistent": "1"},
    {"nonexistent__exact": "1"},
    {"_search": "x", "_searchmode": "bogus"},
    {"_search_nonexistent": "x"},
    {"_search": '"', "_searchmode": "raw"},
    {"_fts_table": "nope", "_search": "x", "_sort": "id"},
    {"_fts_pk": "nope", "_search": "x", "_sort": "id"},
    {"_json": "nonexistent"},
    {"_stream": "1"},
    {"_trace": "1"},
    {"q": "\x00"},
    {"sql": "select * from nope"},
    {"sql": "select 1", "_timelimit": "abc"},
    {"sql": "select 1; select 2"},
    {"sql": "pragma writable_schema=1"},
]


@pytest.mark.parametrize(
    "path",
    [
        "/itp6/articles",
        "/itp6/articles.json",
        "/itp6/articles.csv",
        "/itp6/dataset_articles",
        "/itp6/dataset_articles.json",
        f"/itp6/articles/{HOSTILE_ID}",
        "/itp6/search",
        "/itp6",
        "/itp6.json",
    ],
)
def test_bad_parameters_are_client_errors(small_hostile_archive: Path, path: str) -> None:
    async def statuses() -> dict[str, int]:
        ds = make_datasette(small_hostile_archive)
        await ds.invoke_startup()
        found = {}
        for params in BAD_PARAMETERS:
            response = await ds.client.get(path, params=params)
            found[json.dumps(params)] = response.status_code
        return found

    server_errors = {params: status for params, status in asyncio.run(statuses()).items() if status >= 500}
    assert server_errors == {}


# --- serving publicly, read-only archives -------------------------------------------------------------


def test_public_mode_runs_no_arbitrary_sql_and_offers_no_download(hostile_archive: Path) -> None:
    async def go() -> dict[str, Any]:
        ds = make_datasette(hostile_archive, public=True)
        await ds.invoke_startup()
        get = ds.client.get
        return {
            "sql": (await get("/itp6", params={"sql": "select 1"})).status_code,
            "sql.json": (await get("/itp6.json", params={"sql": "select 1"})).status_code,
            "where": (await get("/itp6/articles", params={"_where": "1=1"})).status_code,
            "download": (await get("/itp6.db")).status_code,
            "stream": (await get("/itp6/articles.csv", params={"_stream": "1"})).status_code,
            "table": (await get("/itp6/articles")).status_code,
            "row": (await get(f"/itp6/articles/{HOSTILE_ID}")).status_code,
            "search": (await get("/itp6/search", params={"q": "艾曲泊帕"})).status_code,
            "box": (await get("/itp6/articles", params={"_search": "艾曲泊帕", "status": "live"})).status_code,
            "settings": (await get("/-/settings.json")).json(),
        }

    answers = asyncio.run(go())
    assert answers["sql"] == answers["sql.json"] == answers["where"] == 403
    assert answers["download"] in (403, 404) and answers["stream"] == 400
    assert answers["table"] == answers["row"] == answers["search"] == answers["box"] == 200
    settings = answers["settings"]
    assert settings["default_allow_sql"] is False and settings["allow_download"] is False
    assert settings["allow_csv_stream"] is False and settings["sql_time_limit_ms"] <= 1000


def folder_state(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


@pytest.fixture
def read_only_copy(hostile_archive: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the archive in its own folder; the test makes the file or the folder read-only."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "itp6.db"
    copy_archive(hostile_archive, db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert sorted(path.name for path in folder.iterdir()) == ["itp6.db"]
    yield db, "file"
    folder.chmod(0o755)
    db.chmod(0o644)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_archive_is_served_and_left_as_it_was(read_only_copy: tuple[Path, str], what: str) -> None:
    """As root chmod does not stop writes, so the test checks what the server did: no file created in the
    folder (no -wal, -shm or journal) and the archive's bytes unchanged."""
    db, _ = read_only_copy
    db.chmod(0o444)
    if what == "folder":
        db.parent.chmod(0o555)
    before = folder_state(db.parent)

    async def go() -> list[int]:
        ds = make_datasette(db)
        await ds.invoke_startup()
        assert not ds.databases["itp6"].is_mutable, "a read-only archive is opened immutable"
        paths = ["/itp6/articles", f"/itp6/articles/{HOSTILE_ID}", "/itp6/search?q=艾曲泊帕", "/itp6?sql=select+1"]
        statuses = [(await ds.client.get(path)).status_code for path in paths]
        for database in ds.databases.values():
            database.close()
        return statuses

    assert asyncio.run(go()) == [200, 200, 200, 200]
    assert folder_state(db.parent) == before


def test_a_writable_archive_stays_mutable(hostile_archive: Path) -> None:
    """A crawl may write while serve reads: the archive is not opened immutable unless asked to."""
    assert make_datasette(hostile_archive).databases["itp6"].is_mutable
    assert not make_datasette(hostile_archive, immutable=True).databases["itp6"].is_mutable


# --- the command ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
            return
        except OSError:
            assert process.poll() is None, f"serve exited: {process.stderr.read() if process.stderr else ''}"
            assert time.monotonic() < deadline, "serve did not answer in 60 s"
            time.sleep(0.2)


@pytest.fixture
def serve_command() -> Iterator[Any]:
    """Start ``itp6crawl serve ARGS --port N`` (on 127.0.0.1); yields a function returning the base URL."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> str:
        port = free_port()
        command = [sys.executable, "-m", "itp6crawl", "serve", *args, "--port", str(port)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_for(base, process)
        return base

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def status_of(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_public_on_a_read_only_folder(read_only_copy: tuple[Path, str], serve_command: Any) -> None:
    db, _ = read_only_copy
    db.chmod(0o444)
    db.parent.chmod(0o555)
    before = folder_state(db.parent)
    base = serve_command("--db", str(db), "--public")
    assert status_of(f"{base}/itp6/articles") == 200
    assert status_of(f"{base}/itp6/search?" + urlencode({"q": "艾曲泊帕"})) == 200
    assert status_of(f"{base}/itp6?sql=select+1") == 403
    assert status_of(f"{base}/itp6/articles", method="POST") == 405
    assert status_of(f"{base}/itp6/articles?_sort=nonexistent") == 400
    assert folder_state(db.parent) == before


def test_serve_merges_away_the_wal_files_its_reading_made(hostile_archive: Path, tmp_path: Path) -> None:
    """A writable archive is read with ``mode=ro`` (a crawl may write meanwhile), which makes ``-wal`` and
    ``-shm`` files; ``serve`` merges them away when it stops (SIGTERM), exiting with status 0."""
    db = tmp_path / "itp6.db"
    copy_archive(hostile_archive, db)
    before = folder_state(tmp_path)
    port = free_port()
    command = [sys.executable, "-m", "itp6crawl", "serve", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}", process)
        assert status_of(f"http://127.0.0.1:{port}/itp6/articles") == 200
        assert {path.name for path in tmp_path.iterdir()} >= {"itp6.db-wal", "itp6.db-shm"}
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert sorted(folder_state(tmp_path)) == sorted(before)


def test_serve_reports_a_busy_port_before_anything_else(hostile_archive: Path) -> None:
    """A port another program listens on: one line naming it, exit 1, and no URL announced before it."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        command = [sys.executable, "-m", "itp6crawl", "serve", "--db", str(hostile_archive), "--port", str(port)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: port {port} on 127.0.0.1 is in use (another server?): use --port"]


def test_serve_warns_when_bound_beyond_loopback_without_public(
    hostile_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import itp6crawl.datasette_plugin as plugin
    from itp6crawl import cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(plugin, "serve", lambda db, **options: calls.append(options))
    result = CliRunner().invoke(cli.main, ["serve", "--db", str(hostile_archive), "--host", "0.0.0.0"])
    public = CliRunner().invoke(cli.main, ["serve", "--db", str(hostile_archive), "--public"])
    assert result.exit_code == 0, result.output
    assert "--public" in result.output and "warning" in result.output.lower()
    assert public.exit_code == 0 and "warning" not in public.output.lower()
    assert calls[0]["public"] is False and calls[1]["public"] is True


# --- in a real browser ------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium fonts-wqy-zenhei; .ci/run does)"
)


class Beacon:
    """An HTTP server on 127.0.0.1 that records every request: a payload that runs calls it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def beacon_server() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.close()


@pytest.fixture
def beacon(beacon_server: Beacon) -> Beacon:
    """The beacon, its hits cleared: each test sees only what its own pages did."""
    beacon_server.hits.clear()
    return beacon_server


@pytest.fixture(scope="module")
def browser_archive(replica_archive: Path, tmp_path_factory: pytest.TempPathFactory, beacon_server: Beacon) -> Path:
    db = tmp_path_factory.mktemp("browser") / "itp6.db"
    copy_archive(replica_archive, db)
    add_hostile_article(db, beacon_server.url)
    return db


@pytest.fixture(scope="module")
def served(browser_archive: Path) -> Iterator[str]:
    """``itp6crawl serve`` (not public: arbitrary SQL allowed, so its escaping is what is tested)."""
    port = free_port()
    command = [sys.executable, "-m", "itp6crawl", "serve", "--db", str(browser_archive), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(.*?)\", source: (\S+)")


def chromium(tmp_path: Path, url: str) -> tuple[Any, list[str]]:
    """Load ``url`` in headless chromium (a fresh profile); returns the DOM after scripts ran and the
    console messages."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        str(CHROMIUM),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return lxml.html.fromstring(result.stdout), CONSOLE.findall(result.stderr)


def csp_violations(console: list[tuple[str, str]]) -> list[str]:
    return [message for message, _ in console if "Content Security Policy" in message]


def assert_nothing_ran(dom: Any, beacon: Beacon, title: str) -> None:
    assert "pwned" not in (dom.findtext(".//title") or ""), dom.findtext(".//title")
    assert title in (dom.findtext(".//title") or "")
    assert beacon.hits == []
    assert_page_inert(dom.cssselect("body")[0])  # as the browser parsed it
    for article in dom.cssselect("div.itp6-article"):
        assert_inert(article)


@browser
def test_a_hostile_query_runs_nothing_in_a_browser(served: str, beacon: Beacon, tmp_path: Path) -> None:
    url = f"{served}/itp6?" + urlencode({"sql": hostile_sql(beacon.url)})
    dom, console = chromium(tmp_path, url)
    assert_nothing_ran(dom, beacon, "itp6")
    cell = dom.cssselect("td.col-body_html")[0].text_content()
    assert cell.startswith("<img src=x onerror=")
    assert dom.cssselect("div.CodeMirror"), "the SQL editor (CodeMirror, inline script) still starts"
    assert csp_violations(console) == []


@browser
@pytest.mark.parametrize(
    "path", [f"/itp6/articles/{HOSTILE_ID}", f"/itp6/articles?id={HOSTILE_ID}&_col=title&_col=body_html"]
)
def test_a_hostile_stored_page_runs_nothing_in_a_browser(
    served: str, beacon: Beacon, tmp_path: Path, path: str
) -> None:
    dom, console = chromium(tmp_path, served + path)
    assert_nothing_ran(dom, beacon, "itp6")
    article = dom.cssselect("div.itp6-article")
    assert article and article[0].cssselect("p b")[0].text == "保留", "the clean part still renders as HTML"
    assert csp_violations(console) == []


@browser
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/itp6",
        "/itp6/articles?_facet=status&_facet=extractor",
        "/itp6/dataset_articles?" + urlencode({"_search": "艾曲泊帕", "_sort": "id", "status": "live"}),
        "/itp6/search?" + urlencode({"q": "艾曲泊帕"}),
        "/itp6/nope",
    ],
)
def test_datasettes_pages_work_under_the_policy(served: str, beacon: Beacon, tmp_path: Path, path: str) -> None:
    dom, console = chromium(tmp_path, served + path)
    assert csp_violations(console) == []
    assert beacon.hits == []
    if "/itp6/articles" in path or "dataset_articles" in path:
        # table.js ran (a column menu on each header) and read DATASETTE_ALLOW_FACET (inline script).
        assert dom.cssselect("th svg") and dom.cssselect(".dropdown-menu")
        assert dom.cssselect(".facet-results") if "_facet" in path else dom.cssselect("td.col-title")
    if path.startswith("/itp6/search"):
        assert dom.cssselect("td.col-title a"), "ranked search results"


@browser
def test_the_sql_time_limit_page_works_under_the_policy(served: str, tmp_path: Path) -> None:
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    dom, console = chromium(tmp_path, f"{served}/itp6?" + urlencode({"sql": slow, "_timelimit": "50"}))
    assert "SQL query took too long" in dom.text_content()
    assert csp_violations(console) == []


def test_a_clients_bad_request_logs_one_line_not_a_traceback_with_its_values(
    small_hostile_archive: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Datasette's last-resort handler printed every error with rich, locals included (the request's values
    in the log, a second of CPU per bad link)."""
    caplog.set_level("INFO", logger="itp6crawl.datasette_plugin")
    for params in ({"_sort": "nonexistent", "token": "s3cr3t"}, {"_timelimit": "abc", "token": "s3cr3t"}):
        assert request(small_hostile_archive, "/itp6/articles", **params).status_code == 400
    printed = "".join(capfd.readouterr())
    assert "Traceback" not in printed and "s3cr3t" not in printed and "locals" not in printed
    lines = [record.getMessage() for record in caplog.records if record.name == "itp6crawl.datasette_plugin"]
    assert len(lines) == 2 and all(line.startswith("400 /itp6/articles: ") for line in lines)
