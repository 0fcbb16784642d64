"""sqlite-utils plugin: the archive's Chinese search from the ``sqlite-utils`` command and Python API.

- ``prepare_connection`` registers (:func:`itp6crawl.search.register_sql_functions`) ``zh_fts(query)``
  (the query language of :mod:`itp6crawl.query` as an FTS5 expression, a concept's names expanded and, on an
  archive, misspellings corrected as the CLI does; ``zh_fts(query, 'exact')`` neither), ``zh_search_notes``
  and ``zh_snippet(body_text, query)`` (matches in 【】, the text's own 【】 shown as
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

from .query import QueryError
from .search import register_sql_functions


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_sql_functions(conn)


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command(name="zh-search")
    @click.argument("db", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.argument("query")
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
    @click.option("--category", help="Only articles in this category.")
    @click.option("--nl", is_flag=True, help="One JSON object per line instead of a JSON array.")
    @click.option("--exact", is_flag=True, help="Search the words as typed: no other names of a drug or condition.")
    def zh_search(db: Path, query: str, limit: int, category: str | None, nl: bool, exact: bool) -> None:
        """Search an itp6crawl archive in Chinese or English with itp6crawl's query language.

        Example: sqlite-utils zh-search archive/itp6.db '血小板低 -儿童'
        """
        from .search import ArchiveError, search, search_notes

        try:
            hits = search(db, query, limit=limit, category=category, exact=exact)
        except (QueryError, ArchiveError) as error:
            raise click.ClickException(str(error)) from error
        for note in search_notes(hits):  # beside the JSON, never in it
            click.echo(note, err=True)
        rows = [asdict(hit) for hit in hits]
        if nl:
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
