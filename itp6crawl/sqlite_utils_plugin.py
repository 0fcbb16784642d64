"""sqlite-utils plugin: the archive's Chinese search from the ``sqlite-utils`` command and Python API.

- ``prepare_connection`` registers ``zh_fts(query)`` (the query language of :mod:`itp6crawl.query` as an
  FTS5 expression) and ``zh_snippet(body_text, query)`` (matches in 【】, the text's own 【】 shown as
  〖〗; ``zh_snippet(body_text, query, before, after)`` for other markers) on every connection sqlite-utils
  opens, so
  ``sqlite-utils query archive/itp6.db "... WHERE articles_fts MATCH zh_fts(:q)" -p q 血小板低`` works;
- ``sqlite-utils zh-search DB QUERY`` runs :func:`itp6crawl.search.search`, the CLI's own search.

Registered through the ``sqlite_utils`` entry point in ``pyproject.toml``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

import click
from sqlite_utils import hookimpl

from .query import QueryError, zh_fts_for
from .search import zh_snippet
from .store.features import JOINED_TERMS, has_feature


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    # Technical terms as the archive's index holds them (single tokens, or phrases in an older archive).
    conn.create_function("zh_fts", 1, zh_fts_for(has_feature(conn, JOINED_TERMS)), deterministic=True)
    conn.create_function("zh_snippet", 2, zh_snippet, deterministic=True)
    conn.create_function("zh_snippet", 4, zh_snippet, deterministic=True)  # markers of the caller's choice


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command(name="zh-search")
    @click.argument("db", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.argument("query")
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
    @click.option("--category", help="Only articles in this category.")
    @click.option("--nl", is_flag=True, help="One JSON object per line instead of a JSON array.")
    def zh_search(db: Path, query: str, limit: int, category: str | None, nl: bool) -> None:
        """Search an itp6crawl archive in Chinese or English with itp6crawl's query language.

        Example: sqlite-utils zh-search archive/itp6.db '血小板低 -儿童'
        """
        from .search import ArchiveError, search

        try:
            hits = search(db, query, limit=limit, category=category)
        except (QueryError, ArchiveError) as error:
            raise click.ClickException(str(error)) from error
        rows = [asdict(hit) for hit in hits]
        if nl:
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
