"""The ``itp6crawl`` command. Thin: every command calls one function of the layers below.

``search`` and ``extract`` never import Scrapy or Twisted, so they start fast.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

DEFAULT_SITE = "https://www.itp6.com"
DEFAULT_DB = Path("archive/itp6.db")
DEMO_DB = Path("archive/demo.db")


@click.group()
@click.version_option(package_name="itp6crawl")
def main() -> None:
    """Crawl ITP6病友网 into a SQLite archive, and search it."""


def _print_run(db: Path, stats: dict) -> None:
    from .search import summary

    counts = summary(db)
    click.echo(f"finish reason: {stats.get('finish_reason')}; pages fetched: {stats.get('response_received_count', 0)}")
    click.echo(
        f"this run: new {stats.get('itp6/articles_new', 0)}, changed {stats.get('itp6/articles_changed', 0)}, "
        f"unchanged {stats.get('itp6/articles_unchanged', 0)}, failed {stats.get('itp6/failures', 0)}, "
        f"fallback extractions {stats.get('itp6/extractor/fallback', 0)}"
    )
    click.echo("archive " + str(db) + ": " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@click.option("--site", default=DEFAULT_SITE, show_default=True, help="Site root to crawl.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite archive to write (created if missing).",
)
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
def crawl(site: str, db: Path, local: bool, overrides: tuple[str, ...], log_level: str) -> None:
    """Crawl SITE politely (robots.txt, one request at a time, a delay) into the archive."""
    from .crawl import run_crawl

    settings = {"LOG_LEVEL": log_level.upper()}
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {override!r}", param_hint="-s/--set")
        settings[name.strip()] = value
    try:
        stats = run_crawl(site, db, local=local, overrides=settings)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    _print_run(db, stats)
    if not stats.get("response_received_count"):
        raise click.ClickException(
            f"could not reach {site}: no page was fetched (see the log above); the archive's articles are unchanged"
        )
    if not sum(stats.get(f"itp6/articles_{outcome}", 0) for outcome in ("new", "changed", "unchanged")):
        raise click.ClickException(
            f"no article was archived from {site}: see the log above and the failures table "
            "(blocked, or no links to posts found)"
        )


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
    """Serve the site replica on 127.0.0.1, crawl it into DB, print a summary and a sample search."""
    from .crawl import run_crawl
    from .replica import ReplicaServer, build_site
    from .search import search as run_search

    with ReplicaServer(build_site(n_articles=articles)) as server:
        click.echo(f"replica of {articles} articles at {server.base_url}")
        stats = run_crawl(server.base_url, db, local=True, overrides={"LOG_LEVEL": "WARNING"})
    _print_run(db, stats)
    click.echo(f"\nitp6crawl search {query!r} --db {db}")
    for hit in run_search(db, query, limit=5):
        click.echo(f"  {hit.title}  {hit.url}\n      {hit.snippet}")


if __name__ == "__main__":  # pragma: no cover
    main()
