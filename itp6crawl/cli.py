"""The ``itp6crawl`` command. Thin: every command calls one function of the layers below.

``search`` and ``extract`` never import Scrapy or Twisted, so they start fast.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

DEFAULT_SITE = "https://www.itp6.com"
DEFAULT_DB = Path("archive/itp6.db")
DEMO_DB = Path("archive/demo.db")


@click.group()
@click.version_option(package_name="itp6crawl")
def main() -> None:
    """Crawl ITP6病友网 into a SQLite archive, and search it."""


# Exit statuses (README "Scheduled crawls"): 0 ok, 1 the run failed, 2 usage, 3 archive busy, 4 interrupted.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 4


def fail(message: str, status: int = EXIT_FAILED) -> NoReturn:
    """One clear line on stderr and a documented exit status, never a traceback."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def emit(rows: list[dict[str, Any]], as_json: bool, title: str | None = None) -> None:
    """Rows as JSON (``--json``) or as a table: the one formatter of the reporting commands."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    # In a terminal, its width; in a pipe or a file, wide enough that no cell is folded.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)


def run_summary(row: dict[str, Any], db: Path) -> str:
    """The printed summary of a run: its crawl_runs row, nothing counted twice."""
    get = lambda key: row.get(key) or 0  # noqa: E731
    lines = [
        f"run {row.get('id', '?')}: {row.get('finish_reason')} (exit {row.get('exit_status')})"
        + (f": {row['error']}" if row.get("error") else ""),
        f"  discovered {get('discovered')}, requested {get('requested')}, fetched {get('fetched')}, "
        f"not modified {get('not_modified')}, skipped by lastmod {get('skipped_lastmod')}, "
        f"{get('bytes') / 1e6:.1f} MB",
        f"  articles: new {get('articles_new')}, changed {get('articles_changed')}, "
        f"unchanged {get('articles_unchanged')}, gone {get('articles_gone')}; failed {get('failed')}, "
        f"fallback extractions {get('fallbacks')}",
        f"  archive {db}" + (f", WARC {row['warc_file']}" if row.get("warc_file") else ""),
    ]
    return "\n".join(lines)


def _settings(overrides: tuple[str, ...], log_level: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"LOG_LEVEL": log_level.upper()}
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {override!r}", param_hint="-s/--set")
        settings[name.strip()] = value
    return settings


def _run(site: str, db: Path, *, local: bool, full: bool, settings: dict[str, Any]) -> None:
    """Run a crawl and exit with its status; every expected fault is one line, not a traceback."""
    from .crawl import SiteUnreachable, run_crawl
    from .store import ArchiveBusy, ArchiveError

    try:
        result = run_crawl(site, db, local=local, full=full, overrides=settings)
    except ValueError as error:
        fail(str(error), EXIT_USAGE)
    except SiteUnreachable as error:
        recorded = "; a failed run is recorded in the archive" if db.exists() else ""
        fail(f"{error} (nothing was crawled{recorded})")
    except ArchiveBusy as error:
        fail(f"{error}; this run stops", EXIT_BUSY)
    except ArchiveError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted before the crawl started; the archive is unchanged", EXIT_INTERRUPTED)
    click.echo(run_summary(result.row, db))
    if result.exit_status == EXIT_FAILED:
        click.echo(f"error: the run failed: {result.row.get('error') or result.row.get('finish_reason')}", err=True)
    if result.exit_status == EXIT_INTERRUPTED:
        click.echo(
            "interrupted: everything listed above is safely archived; the next run continues from here "
            "(pages already archived are not downloaded again)",
            err=True,
        )
    sys.exit(result.exit_status)


_db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite archive (created if missing).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")


@main.command()
@click.option("--site", default=DEFAULT_SITE, show_default=True, help="Site root to crawl.")
@_db_option
@click.option("--full", is_flag=True, help="Re-fetch every page, ignoring what the archive already holds.")
@click.option("--local", is_flag=True, help="Drop delays and allow parallel requests (loopback sites only).")
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting, as `scrapy crawl -s` does (repeatable).",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def crawl(site: str, db: Path, full: bool, local: bool, overrides: tuple[str, ...], log_level: str) -> None:
    """Crawl SITE politely (robots.txt, one request at a time, a delay) into the archive.

    Incremental: pages the archive holds are skipped (sitemap lastmod) or revalidated (ETag,
    Last-Modified). Exit status: 0 ok, 1 the run failed, 2 usage, 3 another run holds the archive,
    4 interrupted (the next run continues)."""
    _run(site, db, local=local, full=full, settings=_settings(overrides, log_level))


@main.command()
@_db_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
@_json_option
def runs(db: Path, limit: int, as_json: bool) -> None:
    """The last crawl runs: when, how they ended, and their counts."""
    from .store import ArchiveError
    from .store.reports import recent_runs

    try:
        rows = recent_runs(db, limit)
    except ArchiveError as error:
        fail(str(error))
    if not as_json:
        rows = [_run_line(row) for row in rows]
    emit(rows, as_json, title=f"last runs of {db}")


def _run_line(row: dict[str, Any]) -> dict[str, Any]:
    """A run as one short table line (``--json`` gives every column)."""
    get = lambda key: row.get(key) or 0  # noqa: E731
    return {
        "run": row["id"],
        "started": (row.get("started_at") or "")[:16].replace("T", " "),
        "minutes": _minutes(row.get("started_at"), row.get("finished_at")),
        "finish_reason": row.get("finish_reason"),
        "exit": row.get("exit_status"),
        "requests": get("requested"),
        "fetched": get("fetched"),
        "304": get("not_modified"),
        "skipped": get("skipped_lastmod"),
        "new": get("articles_new"),
        "changed": get("articles_changed"),
        "gone": get("articles_gone"),
        "failed": get("failed"),
        "MB": f"{get('bytes') / 1e6:.1f}",
    }


def _minutes(started: str | None, finished: str | None) -> str:
    if not started or not finished:
        return ""
    return f"{(datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds() / 60:.1f}"


@main.command()
@_db_option
@_json_option
def stats(db: Path, as_json: bool) -> None:
    """What the archive holds: articles by status, category and month; the latest run; failures."""
    from .store import ArchiveError
    from .store.reports import archive_stats

    try:
        report = archive_stats(db)
    except ArchiveError as error:
        fail(str(error))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    emit([{"table": k, "rows": v} for k, v in report["totals"].items()], False, title=str(db))
    emit([{"status": k, "articles": v} for k, v in report["articles_by_status"].items()], False, "articles by status")
    emit(report["articles_by_category"], False, "live articles by category")
    emit(report["articles_by_month"], False, "live articles by month (last 24)")
    if report["latest_run"]:
        emit([report["latest_run"]], False, "latest run")
    emit(report["failures_by_reason"], False, "failures by reason")


@main.command()
@_db_option
@click.option(
    "--warc",
    "warc_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the WARC files [default: warc/ beside the archive].",
)
def reindex(db: Path, warc_dir: Path | None) -> None:
    """Rebuild articles, links, segmentation and the search index from the WARC files (no network)."""
    from .reindex import reindex as run_reindex
    from .store import ArchiveError

    try:
        result = run_reindex(db, warc_dir)
    except ArchiveError as error:
        fail(str(error))
    counts = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()))
    click.echo(f"replayed {result.records} article responses into {db}: {counts}")


@main.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", required=True, help="The URL the page was fetched from (resolves links, post id).")
@click.option("--charset", default=None, help="Charset from the HTTP header, if known.")
@click.option("--fetched-at", default=None, help="ISO time of the fetch, resolves relative dates (3天前).")
@click.option("--generic", is_flag=True, help="Use only the generic fallback extractor.")
def extract(file, url: str, charset: str | None, fetched_at: str | None, generic: bool) -> None:
    """Extract the article in FILE ('-' for stdin) and print it as JSON."""
    from .extract import ExtractionError, extract_article, extract_generic
    from .extract.dates import parse_iso

    when: datetime | None = parse_iso(fetched_at) if fetched_at else None
    if fetched_at and when is None:
        raise click.BadParameter(f"not an ISO 8601 time: {fetched_at}", param_hint="--fetched-at")
    function = extract_generic if generic else extract_article
    try:
        article = function(file.read(), url, fetched_at=when, header_charset=charset)
    except ExtractionError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


@main.command()
@click.argument("query")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB, show_default=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="One JSON array of hits.")
def search(query: str, db: Path, limit: int, as_json: bool) -> None:
    """Full-text search of the archive, Chinese or English (e.g. 艾曲泊帕, IgG1, 血小板 激素)."""
    from dataclasses import asdict

    from .search import ArchiveError
    from .search import search as run_search

    try:
        hits = run_search(db, query, limit=limit)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps([asdict(hit) for hit in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("no matches")
        return
    for hit in hits:
        click.echo(f"{hit.title}  ({(hit.published_at or '')[:10]})  {hit.url}")
        click.echo(f"    {hit.snippet}")


@main.command()
@click.option(
    "--articles", default=60, show_default=True, type=click.IntRange(1, 100_000), help="Size of the replica to serve."
)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEMO_DB, show_default=True)
@click.option("--query", default="艾曲泊帕", show_default=True, help="Sample search to run afterwards.")
def demo(articles: int, db: Path, query: str) -> None:
    """Serve the site replica on 127.0.0.1, crawl it into DB, print a summary and a sample search.

    Run it twice: the second run finds nothing new and writes no version."""
    from .crawl import run_crawl
    from .replica import ReplicaServer, build_site
    from .search import search as run_search

    with ReplicaServer(build_site(n_articles=articles)) as server:
        click.echo(f"replica of {articles} articles at {server.base_url}")
        result = run_crawl(server.base_url, db, local=True, overrides={"LOG_LEVEL": "WARNING"})
    click.echo(run_summary(result.row, db))
    click.echo(f"\nitp6crawl search {query!r} --db {db}")
    for hit in run_search(db, query, limit=5):
        click.echo(f"  {hit.title}  {hit.url}\n      {hit.snippet}")
    sys.exit(result.exit_status)


if __name__ == "__main__":  # pragma: no cover
    main()
