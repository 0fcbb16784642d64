"""The ``itp6crawl`` command. Thin: every command calls one function of the layers below.

``search`` and ``extract`` never import Scrapy or Twisted, so they start fast.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from . import settings as default_settings
from .exits import EXIT_BUSY, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE

DEFAULT_DB = Path(default_settings.ITP6_DB)
DEMO_DB = DEFAULT_DB.with_name("demo.db")  # the demo's archive, beside the crawl's
# -h as well as --help, on the group and (inherited through the context) on every command. Click itself
# suggests the near command or option for a mistyped one ("Did you mean '--limit'?"); `search`, which
# takes unknown options as words (-激素), does so in its own function.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="itp6crawl")
def main() -> None:
    """Crawl ITP6病友网 into a SQLite archive, and search it."""


def fail(message: str, status: int = EXIT_FAILED) -> NoReturn:
    """One clear line on stderr and a documented exit status, never a traceback."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def emit(
    rows: list[dict[str, Any]],
    output: str | bool,
    title: str | None = None,
    *,
    lines: bool = False,
    least: dict[str, int] | None = None,
) -> None:
    """Rows as a JSON array (``--json``), JSON lines (``--nl``) or a table: the one formatter of the
    commands that print records (``runs``, ``stats``, ``search``). ``lines`` puts a blank line between
    table rows (for multi-line cells such as snippets); ``least`` raises a column's narrowest width.

    A table never breaks a header word, a URL, a number or a time: long text is folded, and when the
    columns cannot all keep those whole at the terminal's width, each row is shown as a block of
    ``name  value`` lines instead."""
    output = "json" if output is True else "table" if output is False else output
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if output == "nl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    from rich.table import Table

    console = _console()
    columns = list(rows[0]) if rows else []
    cells = [[_cell(row[column]) for column in columns] for row in rows]
    widths = _fitted_widths(columns, cells, console.width, least or {})
    if widths is None:
        _print_blocks(console, columns, cells, title)
        return
    table = Table(title=title, show_lines=lines)
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, width=width, overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


# What a table keeps whole: a short cell (a date, a category, a count), and in a longer one each run of
# printable ASCII (a URL, a number, a time, an English word, a header word). Chinese text may be folded
# between any two characters, as it is set in print.
_UNBROKEN = re.compile(r"[!-~]+")
SHORT_CELL = 24  # columns


def _plain(cell: Any) -> str:
    return cell.plain if hasattr(cell, "plain") else str(cell)


def _longest_run(text: str) -> int:
    return max((len(run) for run in _UNBROKEN.findall(text)), default=0)


def _unbroken(text: str) -> int:
    """The narrowest width that shows ``text`` without breaking what must stay whole."""
    whole = _longest_line(text)
    return whole if whole <= SHORT_CELL and "\n" not in text else _longest_run(text)


def _longest_line(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def _fitted_widths(
    headers: list[str], cells: list[list[Any]], available: int, least: dict[str, int]
) -> list[int] | None:
    """Column widths within ``available`` columns that keep every header word and every unbroken run of
    the cells whole (each column at least that wide, the spare room shared by how much text each column
    would fold); None when even that does not fit."""
    overhead = 3 * len(headers) + 1  # a border and a space either side of each column
    narrowest, natural = [], []
    for index, header in enumerate(headers):
        texts = [_plain(row[index]) for row in cells]
        floor = max([_longest_run(header), least.get(header, 0), *map(_unbroken, texts)])
        narrowest.append(floor)
        natural.append(max([floor, _longest_line(header), *map(_longest_line, texts)]))
    if sum(natural) + overhead <= available:
        return natural
    spare = available - overhead - sum(narrowest)
    if spare < 0:
        return None
    wanted = [most - least_ for most, least_ in zip(natural, narrowest, strict=True)]
    given = [spare * want // sum(wanted) for want in wanted]
    given[wanted.index(max(wanted))] += spare - sum(given)
    return [width + extra for width, extra in zip(narrowest, given, strict=True)]


def _print_blocks(console: Any, headers: list[str], cells: list[list[Any]], title: str | None) -> None:
    """Each row as ``name  value`` lines, a blank line between rows: the form of a table too wide for
    the terminal. A value's unbroken runs stay whole even on a terminal narrower than them."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(title, style="italic"))
    names = max((cell_len(header) for header in headers), default=0)
    for number, row in enumerate(cells):
        if number:
            console.print()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True, width=names)
        grid.add_column(overflow="fold")
        for header, cell in zip(headers, row, strict=True):
            grid.add_row(header, cell)
        longest = max((_unbroken(_plain(cell)) for cell in row), default=0)
        console.print(grid, width=max(console.width, names + 2 + longest), crop=False)


def _cell(value: Any) -> Any:
    """A table cell: rich text as it is, a URL as a link (in a terminal that shows them), anything else as
    a string, None as empty."""
    if value is None:
        return ""
    if hasattr(value, "__rich_console__"):
        return value
    if isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value:
        from rich.style import Style
        from rich.text import Text

        return Text(value, style=Style(link=value))
    return str(value)


def _console() -> Any:
    from rich.console import Console

    # In a terminal, its width; in a pipe or a file, wide enough that no cell is folded.
    return Console() if sys.stdout.isatty() else Console(width=200)


def output_options(command: Any) -> Any:
    """``--json`` and ``--nl``, shared by every command that prints records (as sqlite-utils does)."""
    command = click.option("--nl", "output", flag_value="nl", help="One JSON object per line.")(command)
    command = click.option("--json", "output", flag_value="json", help="A JSON array.")(command)
    return click.option("--table", "output", flag_value="table", default=True, hidden=True)(command)


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
        f"fallback extractions {get('fallbacks')}; new comments on unchanged articles {get('comments_added')}",
        f"  archive {db}" + (f", WARC {row['warc_file']}" if row.get("warc_file") else ""),
    ]
    return "\n".join(lines)


def _settings(overrides: tuple[str, ...], log_level: str) -> dict[str, Any]:
    """The ``-s NAME=VALUE`` overrides as text; the runner checks each against its default's type before
    anything starts (``crawl.setting_overrides``). A malformed one is one line and exit 2."""
    settings: dict[str, Any] = {"LOG_LEVEL": log_level.upper()}
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name.strip():
            fail(f"-s expects NAME=VALUE, got {override!r}", EXIT_USAGE)
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


def db_option(default: Path | None, help: str | None) -> Any:
    """``--db PATH``: the archive a command works on, every command's option made here."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )


# The archive a command writes (crawl, reindex), made if missing; demo writes DEMO_DB.
write_db_option = db_option(DEFAULT_DB, "SQLite archive (created if missing).")


def read_db_option(verb: str) -> Any:
    """The archive a command reads: without ``--db``, the one :func:`default_archive` finds."""
    return db_option(None, f"Archive to {verb} [default: {DEFAULT_DB}, or {DEMO_DB} when only that exists].")


_json_option = click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")


def _check_budget(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .revisit import budget_requests

    try:
        budget_requests(value, default_settings.DOWNLOAD_DELAY)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


budget_option = click.option(
    "--budget",
    default=default_settings.ITP6_BUDGET,
    show_default=True,
    callback=_check_budget,
    help="Requests an incremental run may make: a count (450) or minutes at the polite 2 s delay (15m); "
    "0 for no limit. Signalled posts first, then due ones; the rest stay due.",
)
max_interval_option = click.option(
    "--max-interval",
    type=click.FloatRange(min=1),
    default=default_settings.ITP6_MAX_INTERVAL_DAYS,
    show_default=True,
    metavar="DAYS",
    help="Every archived post is checked at least this often (a fetch, or a complete modification index).",
)


@main.command()
@click.option("--site", default=default_settings.ITP6_SITE, show_default=True, help="Site root to crawl.")
@write_db_option
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
    default=default_settings.LOG_LEVEL,
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--max-articles",
    type=click.IntRange(1),
    metavar="N",
    help="End the run (finished, exit 0) once N articles are archived new or changed.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Skip posts published before DATE (YYYY-MM-DD, China time): never requested when the sitemap "
    "says so, never stored.",
)
@budget_option
@max_interval_option
def crawl(
    site: str,
    db: Path,
    full: bool,
    local: bool,
    overrides: tuple[str, ...],
    log_level: str,
    max_articles: int | None,
    since: datetime | None,
    budget: str,
    max_interval: float,
) -> None:
    """Crawl SITE politely (robots.txt, one request at a time, a delay) into the archive.

    Incremental: the change signals are read first (the feed ordered by modification, the comments
    feed, the REST API, sitemap lastmod), then the posts they name and the posts the revisit policy
    finds due, within --budget (see `itp6crawl plan`); fetched pages are revalidated (ETag,
    Last-Modified) where the site sends validators. A limit (--max-articles, --since,
    -s CLOSESPIDER_ITEMCOUNT/PAGECOUNT/TIMEOUT/ERRORCOUNT) ends the run as finished, its reason in
    crawl_runs. Exit status: 0 ok, 1 the run failed, 2 usage, 3 another run holds the archive,
    4 interrupted (the next run continues)."""
    settings = _settings(overrides, log_level)
    settings.setdefault("ITP6_BUDGET", budget)
    settings.setdefault("ITP6_MAX_INTERVAL_DAYS", max_interval)
    if max_articles is not None:
        settings["ITP6_MAX_ARTICLES"] = max_articles
    if since is not None:
        settings["ITP6_SINCE"] = since.strftime("%Y-%m-%d")
    _run(site, db, local=local, full=full, settings=settings)


@main.command()
@read_db_option("read")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
@output_options
def runs(db: Path | None, limit: int, output: str) -> None:
    """The last crawl runs: when (China time, +08:00), how they ended, and their counts. Read-only."""
    from .store import ArchiveError
    from .store.reports import recent_runs

    db = db or default_archive()
    try:
        rows = recent_runs(db, limit)
    except ArchiveError as error:
        fail(str(error))
    if output == "table":
        rows = [_run_line(row) for row in rows]
    emit(rows, output, title=f"last runs of {db}")


def _run_line(row: dict[str, Any]) -> dict[str, Any]:
    """A run as one short table line (``--json`` gives every column)."""
    get = lambda key: row.get(key) or 0  # noqa: E731
    return {
        "run": row["id"],
        "started (UTC+8)": _minute(row.get("started_at")),
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


def _minute(moment: str | None) -> str:
    """A stored time to the minute in China time (``2026-12-04 03:21``; the column says UTC+8)."""
    if not moment:
        return ""
    from .times import CST

    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CST)  # as times.iso reads a time without an offset
    return parsed.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _minutes(started: str | None, finished: str | None) -> str:
    if not started or not finished:
        return ""
    return f"{(datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds() / 60:.1f}"


@main.command()
@read_db_option("plan for")
@budget_option
@max_interval_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0), help="Posts to list (0: none).")
@_json_option
def plan(db: Path | None, budget: str, max_interval: float, limit: int, as_json: bool) -> None:
    """What the next incremental run will request and why, without fetching: the fixed pages and change
    signals, the posts already due (maximum interval, estimated change rate, signals an earlier run could
    not reach), and the projected time at the polite 2 s delay. Read-only."""
    from .schedule import next_run
    from .store import ArchiveError

    db = db or default_archive()
    try:
        outlook = next_run(db, budget=budget, max_interval_days=max_interval)
    except ArchiveError as error:
        fail(str(error))
    fetches = outlook.plan.fetches
    summary = {
        "posts archived": outlook.posts,
        "fixed requests (robots, sitemaps, home, signals)": outlook.fixed_requests,
        "posts due now": len(fetches),
        **{f"  due: {reason}": count for reason, count in outlook.plan.by_reason().items()},
        "left due for later runs (budget)": len(outlook.plan.deferred),
        "not due": outlook.plan.not_due,
        "budget (requests)": outlook.budget if outlook.budget is not None else "unlimited",
        "modification index (last run)": outlook.index or "none: revisits find edits",
        "named by signals last run": ", ".join(f"{n} {r}" for r, n in outlook.last_signalled.items()) or "none",
        "projected requests (+ what the signals name)": outlook.requests,
        "projected minutes at 2 s": round(outlook.minutes(), 1),
    }
    rows = [
        {
            "url": fetch.url,
            "reason": fetch.reason.value,
            "changes/day": round(fetch.rate, 4) if fetch.rate is not None else None,
            "P(changed)": round(fetch.staleness, 3) if fetch.staleness is not None else None,
        }
        for fetch in fetches[:limit]
    ]
    if as_json:
        click.echo(json.dumps({"summary": summary, "posts": rows}, ensure_ascii=False, indent=2))
        return
    emit([{"": k, "next run": v} for k, v in summary.items()], False, title=f"next run of {db}")
    if rows:
        emit(rows, False, title=f"first {len(rows)} of {len(fetches)} posts due")


@main.command()
@read_db_option("read")
@_json_option
def stats(db: Path | None, as_json: bool) -> None:
    """What the archive holds: articles by status, category and month; the latest run; failures. Read-only."""
    from .store import ArchiveError
    from .store.reports import archive_stats

    db = db or default_archive()
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
@write_db_option
@click.option(
    "--warc",
    "warc_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the WARC files [default: warc/ beside the archive].",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes extracting and segmenting pages [default: one per CPU; 1: in this process].",
)
def reindex(db: Path, warc_dir: Path | None, jobs: int | None) -> None:
    """Rebuild articles, links, segmentation and the search index from the WARC files (no network)."""
    from .progress import JobProgress
    from .reindex import reindex as run_reindex
    from .store import ArchiveError

    try:
        with JobProgress("reindex") as shown:
            result = run_reindex(
                db, warc_dir, jobs=jobs, progress=lambda done, url: shown.update("responses replayed", done)
            )
    except ArchiveError as error:
        fail(str(error))
    counts = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()))
    click.echo(f"replayed {result.records} article responses into {db}: {counts}")
    if result.refused_files or result.refused_records:
        files = f"{len(result.refused_files)} WARC files" if result.refused_files else ""
        records = f"{result.refused_records} records in shared legacy files" if result.refused_records else ""
        listed = f" ({', '.join(result.refused_files[:5])}{', ...' if len(result.refused_files) > 5 else ''})"
        click.echo(
            f"refused {' and '.join(part for part in (files, records) if part)} of other archives"
            + (listed if result.refused_files else "")
            + ": not replayed",
            err=True,
        )


@main.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", required=True, help="The URL the page was fetched from (resolves links, post id).")
@click.option("--charset", default=None, help="Charset from the HTTP header, if known.")
@click.option("--fetched-at", default=None, help="ISO time of the fetch, resolves relative dates (3天前).")
@click.option("--generic", is_flag=True, help="Use only the generic fallback extractor.")
def extract(file, url: str, charset: str | None, fetched_at: str | None, generic: bool) -> None:
    """Extract the article in FILE ('-' for stdin) and print it as JSON, its URLs as the archive stores
    them (https://www.itp6.com/..., whatever host --url names)."""
    from .extract import ExtractionError, ExtractOptions, extract_article, extract_generic
    from .times import parse_iso
    from .urls import rebase_article

    when: datetime | None = parse_iso(fetched_at) if fetched_at else None
    if fetched_at and when is None:
        raise click.BadParameter(f"not an ISO 8601 time: {fetched_at}", param_hint="--fetched-at")
    function = extract_generic if generic else extract_article
    try:
        article = function(file.read(), url, ExtractOptions(fetched_at=when, header_charset=charset))
    except ExtractionError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(json.dumps(rebase_article(article, url).to_dict(), ensure_ascii=False, indent=2))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@read_db_option("search")
@click.option("--category", help="Only articles in this category (its name, e.g. 治疗过程分享).")
@click.option("--tag", help="Only articles with this tag.")
@click.option("--author", help="Only articles by this author (nickname or 作者: credit).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option("--exact", is_flag=True, help="Search the words as typed: no other names of a drug or condition.")
@output_options
def search(words: tuple[str, ...], db: Path | None, output: str, **filters: Any) -> None:
    """Full-text search of the archive, Chinese or English: itp6crawl search 艾曲泊帕 -儿童

    \b
    Query language (the same in Datasette and sqlite-utils):
      血小板 激素            all words (Chinese typed without spaces is segmented: 血小板低)
      "血小板 减少"          a phrase
      艾曲泊帕 OR 海曲泊帕   either; group with ( )
      激素 -儿童             exclude a word (or NOT 儿童)
      title:艾曲泊帕         in titles only
      eltrombo*  艾曲*        the beginning of a word (艾曲* finds 艾曲泊帕)

    \b
    A drug, test or condition is found by any of its names: eltrombopag, Revolade
    and 艾曲泊帕 find each other ("also searched: ..." says which); a quoted word
    or --exact searches only what is typed.
    """
    from dataclasses import asdict

    from .search import ArchiveError, QueryError, search_notes
    from .search import search as run_search

    query = " ".join(words)
    if unknown := [word for word in words if word.startswith("--")]:
        context = click.get_current_context()
        options = [name for param in context.command.params for name in param.opts if name.startswith("--")]
        raise click.NoSuchOption(unknown[0].partition("=")[0], possibilities=options, ctx=context)
    for key in ("since", "until"):
        filters[key] = filters[key].date().isoformat() if filters[key] else None
    db = db or default_archive()
    try:
        hits = run_search(db, query, **filters)
    except QueryError as error:
        fail(str(error), EXIT_USAGE)
    except ArchiveError as error:
        fail(str(error))
    if output != "table":
        for note in search_notes(hits):  # beside the data, never in it
            click.echo(note, err=True)
        emit([asdict(hit) for hit in hits], output)
        return
    shown = f"{filters['offset'] + 1}-{filters['offset'] + len(hits)} of " if hits else ""
    click.echo(f"{shown}{hits.total} articles match {query!r} in {db}", err=not hits)
    for note in search_notes(hits):
        click.echo(note, err=not hits)
    if hits:
        emit([_hit_line(hit) for hit in hits], "table", lines=True, least={"title and snippet": 24})


@main.command()
@click.option("--format", "format_", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write (new, empty or an earlier export: replaced whole when complete).",
)
@read_db_option("export")
@click.option("--status", type=click.Choice(["live", "gone", "all"]), default="live", show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD).")
@click.option("--category", help="Only articles in this category (its name).")
@click.option("--tag", help="Only articles with this tag.")
@click.option("--query", help="Only articles matching this search (the query language of `search`).")
@click.option("--dedup", is_flag=True, help="Leave out near-duplicates of earlier articles (reposts).")
@click.option("--bom", is_flag=True, help="CSV with a UTF-8 BOM, so Excel reads the Chinese right.")
@click.option("--force", is_flag=True, help="Replace --out whole even if it holds files no export wrote.")
def export(
    format_: str, out: Path, db: Path | None, query: str | None, dedup: bool, bom: bool, force: bool, **chosen: Any
) -> None:
    """Export the dataset views (articles, links, comments, versions) with a datasheet and dataset card.

    \b
    itp6crawl export --format parquet --out datasets/itp6
    itp6crawl export --format csv --bom --category 治疗过程分享 --since 2024-01-01 --out /tmp/stories
    itp6crawl export --query '艾曲泊帕 OR 海曲泊帕' --dedup --out /tmp/tpo

    --out is replaced whole when complete: it must be new, empty or an earlier export left as it was
    written; a folder holding other files is refused unless --force.
    """
    from .export import ExportRefused
    from .export import export as run_export
    from .progress import JobProgress
    from .query import QueryError, parse
    from .store.datasets import ArticleFilter
    from .store.readonly import ArchiveError

    for key in ("since", "until"):
        chosen[key] = chosen[key].date().isoformat() if chosen[key] else None
    try:
        match = parse(query).match if query is not None else None  # --query '' is nothing to search
    except QueryError as error:
        fail(str(error), EXIT_USAGE)
    db = db or default_archive()
    try:
        with JobProgress("export") as shown:
            result = run_export(
                db,
                out,
                format=format_,
                articles=ArticleFilter(match=match, **chosen),
                dedup=dedup,
                bom=bom,
                progress=lambda name, done, total: shown.update(name.removeprefix("dataset_"), done, total),
                force=force,
            )
    except ExportRefused as error:
        fail(str(error), EXIT_USAGE)
    except ArchiveError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write to {out}: {error.strerror or error}")
    for file in result.files:
        click.echo(f"{file.path}  {file.rows:,} rows")
    dropped = f", {result.dropped:,} left out" if dedup else ""
    click.echo(
        f"near-duplicates: {result.duplicates:,}{dropped}; DATASHEET.md and README.md in {out} ({result.seconds:.1f} s)"
    )


@main.command()
@read_db_option("browse")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. To publish, keep 127.0.0.1 behind a reverse proxy and add --public.",
)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--public",
    is_flag=True,
    help="Read-only for strangers: no arbitrary SQL, no database download, no all-rows CSV, 1 s SQL limit.",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the archive immutable (nothing written beside it; a crawl meanwhile is not seen). "
    "Automatic when the file or its folder is read-only.",
)
def serve(db: Path | None, host: str, port: int, public: bool, immutable: bool) -> None:
    """Browse and search the archive in Datasette (Chinese search box, ranked search, readable articles)."""
    import errno

    from . import datasette_plugin
    from .store import ArchiveError, check_archive_file

    db = db or default_archive()
    if not db.is_file():
        fail(f"no archive at {db}: run `itp6crawl crawl` (or `make demo`) first")
    if immutable or datasette_plugin.is_read_only(db):
        # Checked as it will be served (immutable): a read-only check would leave -wal/-shm beside it.
        if not datasette_plugin.is_archive_file(str(db), immutable=True):
            fail(f"{db} is not a readable itp6crawl archive")
        immutable = True
    else:
        try:
            check_archive_file(db)
        except ArchiveError as error:
            fail(str(error))
    if host not in ("127.0.0.1", "localhost", "::1") and not public:
        click.echo(
            f"warning: listening on {host} without --public: anyone who reaches it can run SQL on the archive",
            err=True,
        )
    try:
        sock = datasette_plugin.bind_socket(host, port)
    except OSError as error:
        reason = "is in use (another server?)" if error.errno == errno.EADDRINUSE else f"cannot be used: {error}"
        fail(f"port {port} on {host} {reason}: use --port")
    click.echo(f"Datasette on http://{host}:{port}/ for {db} (search: http://{host}:{port}/{db.stem}/search)")
    datasette_plugin.serve(db, host=host, port=port, public=public, immutable=immutable or None, sock=sock)


def default_archive() -> Path:
    """``archive/itp6.db``, or ``archive/demo.db`` when only the demo has run; else a message that says
    which command makes an archive."""
    for path in (DEFAULT_DB, DEMO_DB):
        if path.is_file():
            return path
    fail(f"no archive at {DEFAULT_DB} or {DEMO_DB}: run `itp6crawl crawl` (or `make demo`) first, or pass --db")


def _hit_line(hit: Any) -> dict[str, Any]:
    from rich.text import Text

    title = Text()
    title.append(hit.title, style="bold")  # the title only: the snippet is not bold
    title.append("\n")
    title.append_text(_highlighted(hit.snippet, hit.snippet_matches))
    return {
        "title and snippet": title,
        "date": (hit.published_at or "")[:10],
        "category": "、".join(hit.categories),
        "url": hit.url,
    }


def _highlighted(snippet: str, matches: list[tuple[int, int]]) -> Any:
    """The snippet as it reads in the article, its matches in bold reverse: a terminal shows the style, a
    pipe gets the text alone (never brackets, which the site writes itself: 【解读】)."""
    from rich.text import Text

    text = Text(snippet)
    for start, end in matches:
        text.stylize("bold reverse", start, end)
    return text


@main.command()
@click.option(
    "--articles", default=60, show_default=True, type=click.IntRange(1, 100_000), help="Size of the replica to serve."
)
@db_option(DEMO_DB, help=None)
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
    hits = run_search(db, query, limit=5)
    if hits:  # the table `itp6crawl search` prints, matches highlighted from their offsets
        emit([_hit_line(hit) for hit in hits], "table", lines=True, least={"title and snippet": 24})
    sys.exit(result.exit_status)


if __name__ == "__main__":  # pragma: no cover
    main()
