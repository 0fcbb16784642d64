"""Datasette plugin: browse and search the archive with the same Chinese query language as the CLI.

Registered through the ``datasette`` entry point, so ``datasette archive/itp6.db`` uses it as well as
``itp6crawl serve`` (:func:`serve`). What it does on a database that holds ``articles_fts``:

- SQL functions ``zh_fts(query)`` (the FTS5 expression of :func:`itp6crawl.query.zh_fts`) and
  ``zh_snippet(body_text, query)`` (the CLI's 【】 snippet) on every connection.
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
- ``render_cell``: ``body_html`` (already clean: no scripts, styles, iframes or event attributes, see
  ``archive/README.md``) is rendered as HTML in a readable container; long text is clipped in table views
  (CSS, full on an article's row page); 【】 in snippets becomes ``<mark>``; titles in query results link to
  the article's row page.
"""

from __future__ import annotations

import re
import sqlite3
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from .query import zh_fts
from .search import zh_snippet
from .store.toplists import BM25

FTS_TABLE = "articles_fts"
INTERNAL_COLUMNS = ("title_seg", "body_seg", "search_extra", "content_hash", "warc_file", "warc_offset")
CLIPPED_COLUMNS = ("body_text", "summary", "images", *INTERNAL_COLUMNS)
CSS_PATH = "/-/itp6crawl.css"

SEARCH_SQL = f"""select articles.id, articles.title, articles.published_at,
  zh_snippet(articles.body_text, :q) as snippet, articles.url, round(-{BM25}, 2) as score
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
"""
# An article's row page: one field per line (Datasette 0.65 lays a row out as a one-row table as wide as all
# its columns), each labelled with its column as in Datasette's own narrow-screen layout.
ROW_PAGES = ("body.row.table-articles", "body.row.table-article_versions")
ARTICLE_COLUMNS = (
    *("id", "url", "title", "author", "credit", "published_at", "modified_at", "categories", "tags"),
    *("summary", "body_text", "body_html", "images", "views", "likes", "title_seg", "body_seg"),
    *("search_extra", "content_hash", "extractor", "status", "gone_at", "first_seen_at", "fetched_at"),
    *("changed_at", "warc_file", "warc_offset", "article_id", "version", "archived_at"),
)


def _row_page_css() -> str:
    rules = []
    for page in ROW_PAGES:
        table = f"{page} .rows-and-columns"
        rules += [
            f"{table}, {table} tbody, {table} tr, {table} td {{ display: block; border: none; }}",
            f"{table} thead {{ display: none; }}",
            f"{table} td {{ padding: 0.3em 0 0.6em; border-bottom: 1px solid #eee; }}",
            f"{table} td:before {{ display: block; margin-left: 0; color: #555; font-size: 0.8em; font-weight: 600; }}",
            *(f'{table} td.col-{column}:before {{ content: "{column}"; }}' for column in ARTICLE_COLUMNS),
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
    conn.create_function("zh_fts", 1, zh_fts, deterministic=True)
    conn.create_function("zh_snippet", 2, zh_snippet, deterministic=True)
    if database not in ("_memory", "_internal") and is_archive(conn):
        conn.create_function("escape_fts", 1, zh_fts, deterministic=True)


def database_metadata(database_url: str) -> dict[str, Any]:
    """Metadata of one archive database, whose page is at ``database_url``."""
    home = escape(database_url.rstrip("/"))
    public = "&".join(f"_nocol={column}" for column in INTERNAL_COLUMNS)
    return {
        "tables": {
            "articles": {
                "description_html": (
                    "One row per article. The search box understands the archive's query language "
                    '(<code>血小板 激素</code>, <code>"血小板 减少"</code>, <code>激素 -儿童</code>, '
                    "<code>title:艾曲泊帕</code>, Traditional or Simplified). Table search keeps the table's "
                    f'order; <a href="{home}/search">ranked search</a> orders by relevance. '
                    "Internal search columns (title_seg, body_seg, search_extra) hold segmented text: "
                    f'<a href="{home}/articles?{public}">hide internal columns</a>.'
                ),
                "fts_table": FTS_TABLE,
                "fts_pk": "id",
                "sort_desc": "published_at",
                "facets": ["status", "extractor"],
                "label_column": "title",
            },
            # Derived search data (itp6crawl/store/toplists.py): listed under "hidden tables" only.
            **{name: {"hidden": True} for name in ("search_top", "search_top_terms", "search_state")},
            "dataset_articles": {
                "description_html": (
                    "Live articles without the internal columns: what a reader or a dataset needs. "
                    "Searching from this box (or the articles table's) shows the "
                    f'<a href="{home}/search">ranked results</a>, best first; add a sort or a filter to '
                    "search within this table's order instead."
                ),
                "fts_table": FTS_TABLE,
                "fts_pk": "id",
                "sort_desc": "published_at",
                "label_column": "title",
            },
        },
        "queries": {
            "search": {
                "title": "Search the archive",
                "description": (
                    "Live articles matching the query, best first (BM25, title weighted). Chinese is "
                    'segmented; all words are required; "…" phrase, OR, -word, title:word, word*.'
                ),
                "sql": SEARCH_SQL,
                "hide_sql": True,
            },
            "latest": {"title": "Latest articles", "sql": LATEST_SQL, "hide_sql": True},
        },
    }


_archive_names: dict[tuple[str, str | None], bool] = {}


def _is_archive_file(path: str | None) -> bool:
    if not path:
        return False
    try:
        with sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True) as conn:
            return is_archive(conn)
    except sqlite3.Error:
        return False


def _archive_databases(datasette: Any) -> list[str]:
    """Names of the attached databases that are itp6crawl archives (checked once per file)."""
    names = []
    for name, db in datasette.databases.items():
        key = (name, getattr(db, "path", None))
        if key not in _archive_names:
            _archive_names[key] = not db.is_memory and _is_archive_file(db.path)
        if _archive_names[key]:
            names.append(name)
    return names


@hookimpl
def get_metadata(datasette: Any) -> dict[str, Any]:
    """Metadata for every attached archive (metadata.json of the user still takes precedence)."""
    databases = {name: database_metadata(datasette.urls.database(name)) for name in _archive_databases(datasette)}
    return {"databases": databases} if databases else {}


# Table pages whose plain search (only ``_search``: no sort, filter or column choice) is answered by the
# ranked ``search`` query: Datasette 0.65's table search keeps the table's order and has no relevance.
RANKED_SEARCH_TABLES = ("articles", "dataset_articles")


def ranked_search_redirect(path: str, query_string: str, database_path: str) -> str | None:
    """Where a plain search of an archive table at ``database_path`` goes (its ranked ``search`` query),
    or None to leave the request to Datasette."""
    if path not in {f"{database_path}/{table}" for table in RANKED_SEARCH_TABLES}:
        return None
    args = parse_qs(query_string, keep_blank_values=True)
    text = args.pop("_search", [""])[0]
    if args.get("_searchmode") == ["escaped"]:
        del args["_searchmode"]
    if not text.strip() or args:
        return None
    return f"{database_path}/search?{urlencode({'q': text})}"


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Send a plain search from an archive table's search box to the ranked results (HTTP 302)."""

    def wrap(app: Any) -> Any:
        async def redirect_plain_searches(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method") == "GET" and scope.get("query_string"):
                query_string = scope["query_string"].decode("latin-1")
                for name in _archive_databases(datasette):
                    database_path = datasette.urls.database(name).rstrip("/")
                    if target := ranked_search_redirect(scope.get("path", ""), query_string, database_path):
                        headers = [[b"location", target.encode("latin-1")], [b"content-length", b"0"]]
                        await send({"type": "http.response.start", "status": 302, "headers": headers})
                        await send({"type": "http.response.body", "body": b""})
                        return
            await app(scope, receive, send)

        return redirect_plain_searches

    return wrap


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


_HIT = re.compile(r"【([^【】]*)】")


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if not isinstance(value, str):
        return None
    if column == "body_html" and table in (None, "articles", "article_versions"):
        return Markup(f'<div class="itp6-article">{value}</div>')  # clean HTML by construction (extractor)
    if column == "snippet" and table is None:
        return Markup(_HIT.sub(r'<mark class="itp6-hit">\1</mark>', str(escape(value))))
    if column == "title" and table is None and _is_article_row(row):
        url = datasette.urls.row(database, "articles", str(row["id"]))
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column in CLIPPED_COLUMNS and len(value) > 120:
        css = "itp6-clip itp6-internal" if column in INTERNAL_COLUMNS else "itp6-clip"
        return Markup(f'<div class="{css}" title="{len(value)} characters">{escape(value)}</div>')
    return None


def serve(db: Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive ``db`` with Datasette (blocking). Not immutable: a crawl may write meanwhile."""
    import asyncio

    import uvicorn
    from datasette.app import Datasette

    path = Path(db)
    if not path.exists():
        raise FileNotFoundError(f"no archive at {path}")
    datasette = Datasette(
        [str(path)],
        metadata={
            "title": "ITP6病友网 archive",
            "description": "Articles of www.itp6.com archived by itp6crawl",
            "source_url": "https://www.itp6.com",
        },
        settings={"sql_time_limit_ms": 3000},
    )
    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
