"""Datasette plugin: browse and search the archive with the same Chinese query language as the CLI.

Registered through the ``datasette`` entry point, so ``datasette archive/itp6.db`` uses it as well as
``itp6crawl serve`` (:func:`serve`). What it does on a database that holds ``articles_fts``:

- SQL functions ``zh_fts(query)`` (the FTS5 expression of :func:`itp6crawl.query.zh_fts`, a concept's
  names expanded and misspellings corrected as the CLI does; ``zh_fts(query, 'exact')`` neither),
  ``zh_search_notes(query)`` ("also searched: …", "did you mean …") and
  ``zh_snippet(body_text, query)`` (the CLI's 【】 snippet; with two more arguments, markers of the
  caller's choice) on every connection.
- **The search box** (``?_search=`` on ``articles``): Datasette's table search runs
  ``fts MATCH escape_fts(:search)`` unless ``_searchmode=raw``. On our archive the plugin registers its own
  SQL function ``escape_fts`` = ``zh_fts``, *after* Datasette's (``trylast``), so the text typed in the box is
  segmented like the CLI (``血小板减少``, ``幹細胞``, ``"血小板 减少"``, ``激素 -儿童``), the box and the
  "search matches …" line keep the user's own text, and paging links keep working. ``_searchmode=raw`` still
  passes raw FTS5 syntax. This relies on two Datasette 0.65 internals (pinned ``<0.66``, covered by
  ``tests/test_datasette.py``): ``datasette/filters.py`` wraps the search in the SQL function
  ``escape_fts``, and ``datasette/sql_functions.py`` registers it from a plain ``prepare_connection`` hook.
- Ranking: Datasette 0.65's table search keeps the table's order. The canned query ``search`` (``?q=``)
  ranks live articles by BM25 with the CLI's weights and shows a snippet, and a plain search from the box
  of ``articles`` or ``dataset_articles`` (only ``_search``: no sort, filter or column choice) is redirected
  to it (``asgi_wrapper``), so searching from the box shows the best articles first. With a sort or a
  filter, or through the JSON API, the table's own search answers.
- Metadata (``get_metadata``): descriptions, facets, default sort, the canned queries, and search on the
  ``dataset_articles`` view (live articles without the internal columns, migration 0006). Datasette 0.65
  cannot hide columns of a table through metadata, so the internal columns stay on the ``articles`` page but
  are clipped, and the description links to the same page with them hidden (``_nocol``).
- ``render_cell``: ``body_html`` of the archive's own rows (``articles`` and ``article_versions`` pages of
  an archive database; never SQL or canned-query output, which Datasette escapes) is rendered as HTML in a
  readable container, sanitised again as it is rendered (:func:`sanitise_html`: an allowlist of the tags
  and attributes the extractor keeps); long text is clipped in table views (CSS, full on an article's row
  page); the ranked search's snippet is escaped and its matches (between the private-use markers U+E000 and
  U+E001, which the text itself never holds) become ``<mark>``; titles in query results link to the
  article's row page.
- Safe to open and to put behind a proxy (``asgi_wrapper``, ``handle_exception``): every response has a
  Content-Security-Policy without inline script (Datasette 0.65's own inline scripts are allowed by their
  hashes, read from its installed templates), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options`` and
  ``frame-ancestors 'none'``, ``Referrer-Policy``; methods other than GET and HEAD get 405; parameters
  Datasette 0.65 fails on with a 500 (``_sort=unknown``, ``_timelimit=abc``, ``_facet={bad``, …) get its
  400 page. :func:`make_datasette` has the ``--public`` settings (no arbitrary SQL, no download) and opens a
  read-only archive immutable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import textwrap
import traceback
from contextlib import closing
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import lxml.html
from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from lxml import etree
from markupsafe import Markup

from .extract.clean import KEEP_ATTRIBUTES
from .search import register_sql_functions, zh_fts_corrected
from .store.toplists import BM25
from .urls import CANONICAL_SITE

logger = logging.getLogger(__name__)

FTS_TABLE = "articles_fts"
INTERNAL_COLUMNS = ("title_seg", "body_seg", "search_extra", "content_hash", "warc_file", "warc_offset")
CLIPPED_COLUMNS = ("body_text", "summary", "images", *INTERNAL_COLUMNS)
# Columns a table page or the JSON of a table leaves out unless ``_col`` names them: the internal ones and
# the article's HTML (its row page renders it; it is half of a search's JSON). Row pages show every column.
DEFAULT_HIDDEN_COLUMNS = {
    "articles": (*INTERNAL_COLUMNS, "body_html"),
    "article_versions": ("content_hash", "body_html"),
}
# Tables whose facets are the reader's (metadata); Datasette's suggestions (summary, body_text …) are off.
READER_TABLES = ("articles", "dataset_articles")
# Not what a reader opens: listed under the database's "hidden tables" and still answering there. The
# public tables links, comments and article_versions are read through their dataset_* views.
HIDDEN_TABLES = (
    *("_sqlite_migrations", "archive_info", "crawl_state", "crawl_marks", "crawl_runs", "failures"),
    *("search_top", "search_top_terms", "search_postings", "search_state", "search_words", "search_sounds"),
    *("article_labels", "search_features", "links", "comments", "article_versions"),
    *("search_changes", "search_changes_before", "search_changes_after"),
    *("search_changes_before_terms", "search_changes_after_terms"),
)
READER_FACETS: list[Any] = [{"array": "categories"}, {"array": "tags"}, "author", {"year": "published_at"}]
CSS_PATH = "/-/itp6crawl.css"

SEARCH_SQL = f"""select articles.id, articles.title, articles.published_at,
  zh_snippet(articles.body_text, :q, char(57344), char(57345)) as snippet, articles.url, round(-{BM25}, 2) as score,
  zh_search_notes(:q) as notes
from {FTS_TABLE} join articles on articles.rowid = {FTS_TABLE}.rowid
where {FTS_TABLE} match zh_fts(:q) and articles.status = 'live'
order by {BM25}
limit 100"""

LATEST_SQL = """select id, title, published_at, categories, tags, views, likes, url
from articles where status = 'live' order by published_at desc limit 100"""

CSS = """
.itp6-article { max-width: 42em; line-height: 1.8; font-size: 1.05rem;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", sans-serif; }
.itp6-article img { max-width: 100%; height: auto; }
.itp6-article p { margin: 0 0 0.9em; }
.itp6-article table { border-collapse: collapse; }
.itp6-article td, .itp6-article th { border: 1px solid #ccc; padding: 0.2em 0.5em; }
body.table .itp6-article, body.query .itp6-article, body.table .itp6-clip, body.query .itp6-clip {
  max-height: 6.5em; overflow: hidden; max-width: 32em; font-size: 0.9rem; line-height: 1.6; }
body.table .itp6-article img, body.query .itp6-article img { display: none; }
.itp6-internal { color: #888; font-size: 0.85em; }
body.row .itp6-clip { max-height: 9em; overflow: auto; max-width: 42em; }
mark.itp6-hit { background: #fff3a0; padding: 0 1px; }
form.itp6-search { margin: 0.5em 0 0.8em; }
form.itp6-search input[type="search"] { font-size: 1.1rem; padding: 0.3em 0.5em; width: 22em; max-width: 70%; }
form.itp6-search input[type="submit"] { font-size: 1rem; padding: 0.35em 0.9em; }
.itp6-browse { margin: 0.3em 0 1em; }
"""
# An article's row page: one field per line (Datasette 0.65 lays a row out as a one-row table as wide as all
# its columns), each labelled with its column as in Datasette's own narrow-screen layout.
ROW_PAGES = ("body.row.table-articles", "body.row.table-article_versions")
# The columns of the articles table, key first (the "every column" link names the others in this order),
# and those article_versions adds: the fields labelled on the row pages.
ARTICLES_TABLE_COLUMNS = (
    *("id", "url", "title", "author", "credit", "published_at", "modified_at", "categories", "tags"),
    *("summary", "body_text", "body_html", "images", "views", "likes", "title_seg", "body_seg"),
    *("search_extra", "content_hash", "extractor", "status", "gone_at", "first_seen_at", "fetched_at"),
    *("changed_at", "warc_file", "warc_offset"),
)
ROW_PAGE_COLUMNS = (*ARTICLES_TABLE_COLUMNS, "article_id", "version", "archived_at")


def _row_page_css() -> str:
    rules = []
    for page in ROW_PAGES:
        table = f"{page} .rows-and-columns"
        rules += [
            f"{table}, {table} tbody, {table} tr, {table} td {{ display: block; border: none; }}",
            f"{table} thead {{ display: none; }}",
            f"{table} td {{ padding: 0.3em 0 0.6em; border-bottom: 1px solid #eee; }}",
            f"{table} td:before {{ display: block; margin-left: 0; color: #555; font-size: 0.8em; font-weight: 600; }}",
            *(f'{table} td.col-{column}:before {{ content: "{column}"; }}' for column in ROW_PAGE_COLUMNS),
        ]
    return "\n".join(rules) + "\n"


CSS += _row_page_css()


def is_archive(conn: sqlite3.Connection) -> bool:
    """True when this database is an itp6crawl archive (it has the segmented FTS table)."""
    try:
        return bool(conn.execute("select 1 from sqlite_master where name = ?", [FTS_TABLE]).fetchone())
    except sqlite3.Error:
        return False


@hookimpl(trylast=True)  # after datasette.sql_functions, so our escape_fts replaces its own
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    register_sql_functions(conn)
    if database not in ("_memory", "_internal") and is_archive(conn):
        conn.create_function("escape_fts", 1, lambda text: zh_fts_corrected(conn, text))


def reader_links_html(database_url: str) -> str:
    """A search box for the ranked search and links to what a reader browses: the top of the index and of
    the archive's database page."""
    home = escape(database_url.rstrip("/"))
    return (
        f'<form class="itp6-search" action="{home}/search" method="get">'
        '<input type="search" name="q" aria-label="Search the archive" '
        'placeholder="血小板减少, 艾曲泊帕, &quot;血小板 减少&quot;, 激素 -儿童, title:…">'
        ' <input type="submit" value="Search"></form>'
        '<p class="itp6-browse">'
        f'<a href="{home}/search">Ranked search</a> (best first, highlighted snippets) · '
        f'<a href="{home}/dataset_articles">articles</a> · <a href="{home}/latest">latest</a> · '
        f'<a href="{home}/dataset_comments">comments</a> · <a href="{home}/dataset_links">links</a> · '
        f'<a href="{home}/dataset_versions">earlier versions</a> · '
        f'the archive\'s own <a href="{home}/articles">articles</a> table (also the gone ones) and '
        f'<a href="{home}?_show_hidden=1">internal tables</a></p>'
    )


def database_metadata(database_url: str) -> dict[str, Any]:
    """Metadata of one archive database, whose page is at ``database_url``."""
    home = escape(database_url.rstrip("/"))
    every_column = "&".join(f"_col={column}" for column in ARTICLES_TABLE_COLUMNS[1:])
    box = (
        "The search box understands the archive's query language "
        '(<code>血小板 激素</code>, <code>"血小板 减少"</code>, <code>激素 -儿童</code>, '
        "<code>title:艾曲泊帕</code>, Traditional or Simplified) and shows the "
        f'<a href="{home}/search">ranked results</a>, best first, whatever the sort; add a filter (or a '
        "facet) to search within this table's order instead."
    )
    return {
        "description_html": reader_links_html(database_url),
        "tables": {
            "articles": {
                "description_html": (
                    f"One row per article, live and gone. {box} Internal columns (segmented text, hashes, "
                    "WARC offsets) and the article's HTML are hidden; an article's row page shows them all, "
                    f'as does <a href="{home}/articles?{every_column}">every column</a> here.'
                ),
                "fts_table": FTS_TABLE,
                "fts_pk": "id",
                "sort_desc": "published_at",
                "facets": [*READER_FACETS, "status"],
                "label_column": "title",
            },
            **{name: {"hidden": True} for name in HIDDEN_TABLES},
            "dataset_articles": {
                "description_html": f"Live articles without the internal columns: what a reader needs. {box}",
                "fts_table": FTS_TABLE,
                "fts_pk": "id",
                "sort_desc": "published_at",
                "facets": READER_FACETS,
                "label_column": "title",
            },
        },
        "queries": {
            "search": {
                "title": "Search the archive",
                "description": (
                    "Live articles matching the query, best first (BM25, title weighted). Chinese is "
                    'segmented; all words are required; "…" phrase, OR, -word, title:word, word*. '
                    "A drug, test or condition is found by any of its names (eltrombopag, Revolade, 艾曲泊帕): "
                    "notes say which, and what a misspelt word may have meant (searched too); a quoted word is "
                    "searched as typed."
                ),
                "sql": SEARCH_SQL,
                "hide_sql": True,
            },
            "latest": {"title": "Latest articles", "sql": LATEST_SQL, "hide_sql": True},
        },
    }


_archive_names: dict[tuple[str, str | None], bool] = {}


def is_archive_file(path: str | None, *, immutable: bool = False) -> bool:
    """Whether ``path`` holds an archive, read as Datasette reads it (``immutable``: nothing is created
    beside the file, which a read-only folder needs)."""
    if not path:
        return False
    try:
        uri = f"{Path(path).resolve().as_uri()}?{'immutable=1' if immutable else 'mode=ro'}"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            return is_archive(conn)
    except sqlite3.Error:
        return False


def _archive_databases(datasette: Any) -> list[str]:
    """Names of the attached databases that are itp6crawl archives (checked once per file)."""
    names = []
    for name, db in datasette.databases.items():
        key = (name, getattr(db, "path", None))
        if key not in _archive_names:
            _archive_names[key] = not db.is_memory and is_archive_file(db.path, immutable=not db.is_mutable)
        if _archive_names[key]:
            names.append(name)
    return names


@hookimpl
def get_metadata(datasette: Any) -> dict[str, Any]:
    """Metadata for every attached archive, and the index's search box and links to each (metadata.json of
    the user still takes precedence)."""
    archives = _archive_databases(datasette)
    if not archives:
        return {}
    databases = {name: database_metadata(datasette.urls.database(name)) for name in archives}
    index = "".join(
        (f"<h3>{escape(name)}</h3>" if len(archives) > 1 else "") + reader_links_html(datasette.urls.database(name))
        for name in archives
    )
    return {"description_html": index, "databases": databases}


# Table pages whose search box is answered by the ranked ``search`` query: Datasette 0.65's table search
# keeps the table's order and has no relevance.
RANKED_SEARCH_TABLES = ("articles", "dataset_articles")
# What the box's form sends besides the text (Datasette 0.65's table.html): the sort select and its
# "descending" checkbox (set to the table's sort), the empty "add a filter" row.
_FORM_SORT = ("_sort", "_sort_desc", "_sort_by_desc")
_FORM_FILTER = ("_filter_column", "_filter_op", "_filter_value")


def ranked_search_redirect(path: str, query_string: str, database_path: str) -> str | None:
    """Where a search from the box of an archive table at ``database_path`` goes (its ranked ``search``
    query), or None to leave the request to Datasette.

    The box's form carries the table's sort (and its empty filter row, and the page's hidden fields): a
    search with nothing else, whatever the sort, is the ranked one. A filter, a facet, a column choice
    (beyond the hidden defaults), raw mode, paging or any other parameter searches within the table."""
    table = next((name for name in RANKED_SEARCH_TABLES if path == f"{database_path}/{name}"), None)
    if table is None:
        return None
    args = parse_qs(query_string, keep_blank_values=True)
    text = args.pop("_search", [""])[0]
    if args.get("_searchmode") == ["escaped"]:
        del args["_searchmode"]
    for name in [name for name in args if name in _FORM_SORT or name == "_nosuggest"]:
        del args[name]
    if set(args.get("_nocol", ())) <= set(DEFAULT_HIDDEN_COLUMNS.get(table, ())):
        args.pop("_nocol", None)
    filters = [name for name in args if name.startswith(_FORM_FILTER)]
    if not any(value for name in filters if name.startswith("_filter_column") for value in args[name]):
        for name in filters:
            del args[name]
    if not text.strip() or args:
        return None
    return f"{database_path}/search?{urlencode({'q': text})}"


def with_default_columns(path: str, query_string: str, database_path: str) -> str | None:
    """The query string of a table page or table JSON/CSV of an archive with its defaults added (the
    internal columns hidden unless ``_col`` chooses columns; no facet suggestions on the reader's tables),
    or None when it has nothing to add. Row pages are left alone."""
    table, _, extension = path.removeprefix(f"{database_path}/").partition(".")
    if not path.startswith(f"{database_path}/") or "/" in table or extension not in ("", "json", "csv"):
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True)
    names = {name for name, _ in pairs}
    added = []
    if table in DEFAULT_HIDDEN_COLUMNS and "_col" not in names:
        hidden = {value for name, value in pairs if name == "_nocol"}
        added += [("_nocol", column) for column in DEFAULT_HIDDEN_COLUMNS[table] if column not in hidden]
    if table in READER_TABLES and "_nosuggest" not in names:
        added.append(("_nosuggest", "1"))
    return urlencode(pairs + added) if added else None


def _datasette_inline_scripts() -> list[str]:
    """The inline scripts Datasette 0.65's own pages carry, exactly as served: those of its templates
    (``_codemirror_foot.html``, ``_close_open_menus.html``, table.html's ``DATASETTE_ALLOW_FACET``) and of
    its "SQL query took too long" error (``views/base.py``). Read from the installed package, so a change
    there shows up as a CSP violation in the browser tests rather than as a silently stale hash."""
    import datasette.views.base

    package = Path(datasette.views.base.__file__).resolve().parent.parent
    scripts = []
    for template in sorted((package / "templates").glob("*.html")):
        for body in re.findall(r"<script>(.*?)</script>", template.read_text(encoding="utf-8"), re.S):
            if body.strip() == "DATASETTE_ALLOW_FACET = {{ datasette_allow_facet }};":
                scripts += [body.replace("{{ datasette_allow_facet }}", value) for value in ("true", "false")]
            elif "{{" not in body and "{%" not in body:
                scripts.append(body)
    source = (package / "views" / "base.py").read_text(encoding="utf-8")
    for text in re.findall(r'textwrap\.dedent\(\s*"""(.*?)"""', source, re.S):
        scripts += re.findall(r"<script>(.*?)</script>", textwrap.dedent(text).strip(), re.S)
    return scripts


def content_security_policy() -> str:
    """No inline script but Datasette's own (by hash), scripts from this server only, no plugins, frames,
    base or foreign forms; styles may be inline (Datasette's pages use style attributes; article HTML has
    them removed); images from anywhere (articles show the site's own images)."""
    hashes = sorted({base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in _scripts()})
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *(f"'sha256-{digest}'" for digest in hashes)]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: http: https:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@lru_cache(maxsize=1)
def _scripts() -> tuple[str, ...]:
    return tuple(_datasette_inline_scripts())


@lru_cache(maxsize=1)
def security_headers() -> list[tuple[bytes, bytes]]:
    """Headers every response gets (replacing any of the same name)."""
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]


ALLOWED_METHODS = ("GET", "HEAD")


async def _respond(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Around all of Datasette: the security headers on every response; 405 for any method but GET and
    HEAD (the archive is read-only; Datasette 0.65 answers a POST to a table with a 500); a plain search
    from an archive table's search box goes to the ranked results (HTTP 302)."""

    def wrap(app: Any) -> Any:
        async def safe_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    ours = security_headers()
                    names = {name for name, _ in ours}
                    kept = [
                        (bytes(k), bytes(v)) for k, v in message.get("headers", []) if bytes(k).lower() not in names
                    ]
                    message = {**message, "headers": kept + ours}
                await send(message)

            method = scope.get("method", "GET")
            if method not in ALLOWED_METHODS:
                allow = (b"allow", ", ".join(ALLOWED_METHODS).encode())
                text = (b"content-type", b"text/plain; charset=utf-8")
                await _respond(send_with_headers, 405, [allow, text], b"Method not allowed\n")
                return
            if method == "GET" and scope.get("query_string"):
                query_string = scope["query_string"].decode("latin-1")
                if problem := bad_facet_parameter(query_string):
                    response = await _error_page(datasette, Request(scope, receive), 400, problem)
                    await response.asgi_send(send_with_headers)
                    return
                for name in _archive_databases(datasette):
                    database_path = datasette.urls.database(name).rstrip("/")
                    if target := ranked_search_redirect(scope.get("path", ""), query_string, database_path):
                        await _respond(send_with_headers, 302, [(b"location", target.encode("latin-1"))])
                        return
            if scope.get("path", "").count("/") >= 2:  # a table's page, JSON or CSV (not the index)
                query_string = scope.get("query_string", b"").decode("latin-1")
                for name in _archive_databases(datasette):
                    database_path = datasette.urls.database(name).rstrip("/")
                    if rewritten := with_default_columns(scope.get("path", ""), query_string, database_path):
                        scope = {**scope, "query_string": rewritten.encode("latin-1")}
                        break
            await app(scope, receive, send_with_headers)

        return safe_app

    return wrap


def bad_facet_parameter(query_string: str) -> str | None:
    """What is wrong with a ``_facet…={JSON}`` parameter, or None: Datasette 0.65 passes the JSON's
    values into SQL building unchecked (``{"simple": 1}`` is a 500 deep inside it)."""
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key.startswith("_facet") and key != "_facet_size" and value.startswith("{"):
            try:
                config = json.loads(value)
            except ValueError:
                return f"{key}: not JSON: {value}"
            if not isinstance(config, dict) or not all(isinstance(item, str) for item in config.values()):
                return f"{key}: a facet is a column name or an object of strings: {value}"
    return None


def _is_request_error(exception: BaseException, request: Any) -> bool:
    """Whether Datasette 0.65 failed on what the request asked for rather than on itself: it raises
    ``DatasetteError`` with its default status 500 only for requests it cannot answer (an unknown
    ``_sort`` column, both ``_sort`` and ``_sort_desc``, a ``_through`` without its foreign key), and it
    lets ``int()``, ``json.loads()`` and dictionary look-ups of parameters (``_timelimit=abc``, ``_next=``
    on a view, ``_facet={...``, ``_through=x``, ``col__in=[[``) and values SQLite cannot bind raise as
    they are."""
    from datasette.views.base import DatasetteError

    if isinstance(exception, DatasetteError):
        return exception.status == 500
    if not request.query_string:
        return False
    if isinstance(exception, sqlite3.InterfaceError | sqlite3.ProgrammingError):
        return "binding parameter" in str(exception)
    if not isinstance(exception, ValueError | KeyError | TypeError | AttributeError):
        return False
    frames = [frame.f_code.co_filename for frame, _ in traceback.walk_tb(exception.__traceback__)]
    ours = [name for name in frames if f"{os.sep}datasette{os.sep}" in name]
    return bool(ours) and ours[-1].endswith(_PARAMETER_MODULES)


# The Datasette modules that read request parameters (the deepest Datasette frame of a request error).
_PARAMETER_MODULES = tuple(
    os.sep + os.path.join(*parts)
    for parts in (("filters.py",), ("facets.py",), ("views", "table.py"), ("views", "database.py"))
)


async def _error_page(
    datasette: Any,
    request: Any,
    status: int,
    message: Any,
    info: dict[str, Any] | None = None,
    title: str | None = None,
) -> Response:
    """Datasette's own error page (or JSON) for ``message``, rendered as its handler renders it, but
    without the traceback and local variables its handler prints to the console for every error: a
    server open to the world would log a screenful, request values included, for each bad link."""
    body = {**(info or {}), "ok": False, "error": message, "status": status, "title": title}
    headers: dict[str, str] = {}
    if datasette.cors:
        from datasette.utils import add_cors_headers

        add_cors_headers(headers)
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(body, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    context = dict(body, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])
    return Response.html(await template.render_async(context), status=status, headers=headers)


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    """Every error page, as Datasette's handler makes it, with two differences: a request Datasette cannot
    answer because of its parameters is a 400, not a 500; and a client's error gets one log line instead of
    a traceback with every local variable. A server's own error gets Datasette's 500 page and traceback."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError

    if _is_request_error(exception, request):
        message = getattr(exception, "message", None) or f"Invalid request: {exception}"
        logger.info("400 %s: %s", request.path, message)
        return lambda: _error_page(datasette, request, 400, message)
    if isinstance(exception, Base400):
        logger.info("%s %s: %s", exception.status, request.path, exception.args[0])
        return lambda: _error_page(datasette, request, exception.status, exception.args[0])
    if isinstance(exception, DatasetteError) and exception.status < 500:
        message = Markup(exception.message) if exception.message_is_html else exception.message
        logger.info("%s %s: %s", exception.status, request.path, exception.message)
        info, title = dict(exception.error_dict), exception.title
        return lambda: _error_page(datasette, request, exception.status, message, info, title)
    from datasette.handle_exception import handle_exception as last_resort

    return last_resort(datasette, request, exception)  # a server's error: its 500 page and traceback


def _year_facet_class() -> type:
    """A ``year`` facet (``_facet_year=published_at``; metadata ``{"year": "published_at"}``): the years of
    an ISO 8601 column, newest first, each linking to ``column__startswith=YEAR``. Made on first use:
    the plugin is loaded while Datasette's own modules are still importing."""
    from datasette.database import QueryInterrupted
    from datasette.facets import Facet
    from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

    class YearFacet(Facet):  # type: ignore[misc]
        type = "year"

        async def suggest(self) -> list[dict[str, Any]]:
            return []

        async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
            results, timed_out = [], []
            args = dict(self.get_querystring_pairs())
            size = self.get_facet_size()
            for source_and_config in self.get_configs():
                config, source = source_and_config["config"], source_and_config["source"]
                column = config.get("column") or config["simple"]
                year = f"substr({escape_sqlite(column)}, 1, 4)"
                sql = (
                    f"select {year} as value, count(*) as count from ({self.sql}) "
                    f"where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]-*' "
                    f"group by value order by value desc limit {size + 1}"
                )
                try:
                    rows = await self.ds.execute(
                        self.database,
                        sql,
                        self.params,
                        truncate=False,
                        custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                    )
                except QueryInterrupted:
                    timed_out.append(column)
                    continue
                values = []
                results.append(
                    {
                        "name": column,
                        "type": self.type,
                        "results": values,
                        "hideable": source != "metadata",
                        "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                        "truncated": len(rows) > size,
                    }
                )
                key = f"{column}__startswith"
                for row in rows.rows[:size]:
                    selected = args.get(key) == row["value"]
                    change = path_with_removed_args if selected else path_with_added_args
                    values.append(
                        {
                            "value": row["value"],
                            "label": row["value"],
                            "count": row["count"],
                            "toggle_url": self.ds.absolute_url(self.request, change(self.request, {key: row["value"]})),
                            "selected": selected,
                        }
                    )
            return results, timed_out

    return YearFacet


@hookimpl
def startup(datasette: Any) -> None:
    """Take over from Datasette 0.65's last-resort error handler, which runs for every error whatever the
    plugins answer and prints each one with rich, as a traceback with every local variable: about a
    second of CPU and a screenful of log, request values included, for each bad link a client sends (a
    public server could be kept busy by them). :func:`handle_exception` now answers every error, a
    client's with one log line, and hands a server's own (500) to that handler, without rich: a plain
    traceback."""
    import datasette.handle_exception as last_resort
    from datasette.plugins import pm

    last_resort.rich = None
    if pm.is_registered(last_resort):
        pm.unregister(last_resort)


@hookimpl
def register_facet_classes() -> list[type]:
    return [_year_facet_class()]


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/itp6crawl\.css$", lambda: Response(CSS, content_type="text/css; charset=utf-8"))]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path(CSS_PATH)]


def _is_article_row(row: Any) -> bool:
    """A query result row with an article's ``id`` and ``url`` (``in`` on sqlite3.Row looks at values)."""
    keys = row.keys()
    return "id" in keys and "url" in keys and str(row["url"]).endswith(f"/{row['id']}.html")


MATCH_START, MATCH_END = "\ue000", "\ue001"  # char(57344), char(57345): the ranked search's match markers

# --- article HTML, sanitised at render time -------------------------------------------------------------
# Tables whose body_html is an article's HTML (the archive's own rows); anywhere else it is text.
ARTICLE_HTML_TABLES = ("articles", "article_versions")
# An allowlist: what the extractor's clean HTML is made of (itp6crawl/extract/clean.py). Other tags are
# unwrapped (their text stays); these go with everything inside them.
_DROP_WITH_CONTENT = (
    *("script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed"),
    *("applet", "param", "svg", "math", "canvas", "audio", "video", "source", "track", "portal"),
    *("form", "input", "button", "select", "option", "optgroup", "datalist", "output", "textarea"),
    *("base", "link", "meta", "head", "title", "xmp", "plaintext", "listing", "noembed", "noframes"),
    *("dialog", "slot"),
)
_ALLOWED_TAGS = frozenset(
    (
        *("p", "div", "span", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl"),
        *("dt", "dd", "blockquote", "pre", "code", "em", "strong", "b", "i", "u", "s", "sub", "sup"),
        *("small", "mark", "q", "cite", "abbr", "del", "ins", "a", "img", "figure", "figcaption"),
        *("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "section", "article"),
        *("header", "footer", "aside", "center", "address", "time", "details", "summary"),
    )
)
_URL_ATTRIBUTES = ("href", "src")
# http(s) addresses, a path on this server or a fragment: no javascript:, data:, vbscript: or //host.
_SAFE_URL = re.compile(r"^(?:https?://[^\s]|/(?![/\\])|#)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@lru_cache(maxsize=1024)
def sanitise_html(html: str) -> str:
    """``html`` reduced to the tags and attributes an article's clean HTML has: no script, style, frames,
    forms or embedded documents, no event or style attributes, links and images to http(s) addresses only
    (links get ``rel="nofollow noopener noreferrer"``). Serialised by lxml, so text and attribute values
    are escaped."""
    html = _CONTROL.sub("", html)
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return str(escape(html))
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROP_WITH_CONTENT, with_tail=False)
    for element in list(root.iterdescendants()):
        if not isinstance(element.tag, str) or element.tag not in _ALLOWED_TAGS:
            element.drop_tag()  # unknown (or namespaced) tags go, their text stays
            continue
        keep = KEEP_ATTRIBUTES.get(element.tag, ())
        for name, value in list(element.attrib.items()):
            if name not in keep or (name in _URL_ATTRIBUTES and not _SAFE_URL.match(value.strip())):
                del element.attrib[name]
        if element.tag == "img" and "src" not in element.attrib:
            element.drop_tree()
        elif element.tag == "a" and "href" in element.attrib:
            element.set("rel", "nofollow noopener noreferrer")
    inner = [str(escape(root.text or ""))]
    inner += (lxml.html.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(inner)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if not isinstance(value, str):
        return None
    if column == "body_html" and table in ARTICLE_HTML_TABLES and database in _archive_databases(datasette):
        # The archive's own rows only (never SQL or canned-query output), sanitised again: a row written
        # around the extractor, or by an older one, must not put script into the page.
        return Markup(f'<div class="itp6-article">{sanitise_html(value)}</div>')
    if column == "snippet" and table is None and MATCH_START in value:
        # The ranked search's snippet: its matches between private-use markers that the text itself never
        # holds (search.Snippet.marked drops them from it), so the site's own 【解读】 is never highlighted.
        marked = str(escape(value)).replace(MATCH_START, '<mark class="itp6-hit">').replace(MATCH_END, "</mark>")
        return Markup(marked)
    if column == "title" and table is None and _is_article_row(row):
        url = datasette.urls.row(database, "articles", str(row["id"]))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column in CLIPPED_COLUMNS and len(value) > 120:
        css = "itp6-clip itp6-internal" if column in INTERNAL_COLUMNS else "itp6-clip"
        return Markup(f'<div class="{css}" title="{len(value)} characters">{escape(value)}</div>')
    return None


SITE_METADATA = {
    "title": "ITP6病友网 archive",
    "description": "Articles of www.itp6.com archived by itp6crawl",
    "source_url": CANONICAL_SITE,
}
# ``--public``: browsing, facets, table search and the canned queries only.
PUBLIC_SETTINGS = {
    "default_allow_sql": False,  # no arbitrary SQL (?sql=, _where=); canned queries still run
    "allow_download": False,  # no copy of the database file
    "allow_csv_stream": False,  # no all-rows CSV (.csv?_stream=1)
    "sql_time_limit_ms": 1000,
}
LOCAL_SETTINGS = {"sql_time_limit_ms": 3000}


def is_read_only(path: Path) -> bool:
    """True when the archive file or its folder cannot be written: no write bit (root ignores the bits,
    so they are read rather than tried) or no write access for this user."""
    return any(not target.stat().st_mode & 0o222 or not os.access(target, os.W_OK) for target in (path, path.parent))


def make_datasette(db: Path, *, public: bool = False, immutable: bool | None = None) -> Any:
    """The Datasette ``serve`` runs on the archive ``db``.

    ``immutable`` (default: when the file or its folder is read-only) opens it with SQLite's
    ``immutable=1``: nothing is created beside it (no ``-wal``/``-shm``) and nothing in it changes, but a
    crawl writing meanwhile would not be seen (nor would an unmerged ``-wal``). Otherwise it is opened
    read-only (``mode=ro``), so a crawl may write while it is served."""
    from datasette.app import Datasette

    path = Path(db)
    if not path.is_file():
        raise FileNotFoundError(f"no archive at {path}")
    immutable = is_read_only(path) if immutable is None else immutable
    return Datasette(
        [] if immutable else [str(path)],
        immutables=[str(path)] if immutable else [],
        metadata=SITE_METADATA,
        settings=PUBLIC_SETTINGS if public else LOCAL_SETTINGS,
    )


def _exit_quietly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _sidecars(path: Path) -> set[Path]:
    return {candidate for candidate in (Path(f"{path}-wal"), Path(f"{path}-shm")) if candidate.exists()}


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` as uvicorn binds one (``SO_REUSEADDR``, IPv6 for an address with
    a colon); raises OSError (``EADDRINUSE``: another server has the port) before anything is announced."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    db: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    public: bool = False,
    immutable: bool | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve the archive ``db`` with Datasette (blocking) on ``host``:``port``, or on ``sock`` already bound
    (:func:`bind_socket`); see :func:`make_datasette`.

    Reading a WAL database with ``mode=ro`` leaves ``-wal`` and ``-shm`` files behind; when the server
    stops (Ctrl-C, SIGTERM) they are merged away, unless another process still has the archive open."""
    import asyncio

    import uvicorn

    path = Path(db)
    sock = sock or bind_socket(host, port)
    datasette = make_datasette(path, public=public, immutable=immutable)
    asyncio.run(datasette.invoke_startup())
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again: exit through the
    # ``finally`` below rather than die there.
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning"))
        server.run(sockets=[sock])
        if not server.started:
            raise SystemExit(1)
    finally:
        sock.close()
        for database in datasette.databases.values():
            database.close()
        if _sidecars(path) and not is_read_only(path):
            # As the last connection, a writable one merges the -wal and removes both files (as a crawl's
            # own close does); with a crawl still holding the archive, SQLite leaves them alone.
            with closing(sqlite3.connect(path.resolve().as_uri(), uri=True)) as conn:
                conn.execute("select count(*) from sqlite_master").fetchone()
