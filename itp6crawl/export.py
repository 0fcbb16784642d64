"""``itp6crawl export``: the dataset views as JSON lines, CSV or Parquet, with a datasheet and a dataset card.

Rows stream from the archive to the files (a Parquet row group, or one line, at a time), so memory does
not grow with the archive; near-duplicate detection keeps one small MinHash signature per article.
Which articles go out is an :class:`~itp6crawl.store.datasets.ArticleFilter`; every file follows it (the
links, comments and versions of the exported articles).

An export never overwrites, deletes or leaves beside its files anything it did not write. It writes into
a fresh hidden folder beside ``out`` and moves it into place when complete, replacing ``out`` whole: an
export that fails midway leaves the previous folder as it was and no temporary folder behind, and no file
of an earlier export (another format, a view since renamed) stays beside the new ones. ``out`` may be
new, empty, or a previous export left as it was written (``MANIFEST`` lists its files with their sizes
and modification times); anything else -- a folder with files of the user's, a previous export with a
file added, edited or removed -- is refused (:class:`ExportRefused`) unless ``force``, which replaces it
whole. Not even ``force`` replaces a folder that holds the archive being exported.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import sqlite3
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .datasheet import ExportedFile, ExportResult, ScriptCounter, write_dataset_card, write_datasheet
from .neardup import near_duplicates
from .store.datasets import (
    DATASET_VIEWS,
    ArticleFilter,
    DatasetView,
    count_dataset_rows,
    dataset_columns,
    dataset_rows,
)
from .store.readonly import connect_readonly
from .times import CST, iso

FORMATS = ("jsonl", "csv", "parquet")  # each also the files' extension
BATCH = 1000  # rows per Parquet row group


class ExportRefused(ValueError):
    """``out`` holds something no export wrote (or the archive itself): refused before anything is written."""


def file_name(view: DatasetView, format: str) -> str:
    """``dataset_articles`` -> ``articles.jsonl``."""
    return f"{view.name.removeprefix('dataset_')}.{format}"


def export(
    db: str | Path,
    out: str | Path,
    *,
    format: str = "jsonl",
    articles: ArticleFilter | None = None,
    dedup: bool = False,
    bom: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
) -> ExportResult:
    """Write one file per dataset view into ``out``, plus ``DATASHEET.md`` and ``README.md``, replacing
    ``out`` whole when it is empty or a previous export (or anything, with ``force``); see the module's
    docstring. Raises :class:`ExportRefused` for a folder that holds other files, before any work."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    articles = articles or ArticleFilter()
    out = Path(os.path.abspath(out))  # "." and ".." have no name to write under
    if out.is_symlink():  # the folder it points to is the one meant (and replaced)
        out = out.resolve()
    check_out(out, Path(db), force=force)
    with connect_readonly(db) as connection:  # a missing or foreign archive: refused before any folder is made
        out.parent.mkdir(parents=True, exist_ok=True)
        # <out's folder>/.<name>.export-<random>/<name>: the files are written under their final folder's
        # name (the datasheet names it), on the same file system, so that moving them into place is a rename.
        staging = out.parent / f".{out.name}.export-{secrets.token_hex(4)}"
        staging.mkdir()
        try:
            result = _write(connection, staging / out.name, format, articles, dedup, bom, progress)
            _write_manifest(result)
            _move_into_place(staging / out.name, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    result.out = out
    for file in result.files:
        file.path = out / file.path.name
    return result


def _write(
    connection: sqlite3.Connection,
    out: Path,
    format: str,
    articles: ArticleFilter,
    dedup: bool,
    bom: bool,
    progress: Callable[[str, int, int], None] | None,
) -> ExportResult:
    """The files of an export, written into the new folder ``out``."""
    out.mkdir()
    start = time.perf_counter()
    result = ExportResult(out=out, format=format)
    dup_of = near_duplicates(connection, articles, progress)
    result.duplicates = len(dup_of)
    skip = set(dup_of) if dedup else set()
    result.dropped = len(skip)
    exported_ids = array("q")  # the exported articles' ids, ascending (the articles view is written first)
    scripts = ScriptCounter()
    links = {"outside_archive": 0, "outside_export": 0}
    for view in DATASET_VIEWS:
        total = count_dataset_rows(connection, view, articles)
        rows = _with_duplicates(view, dataset_rows(connection, view, articles), dup_of, skip)
        if view.is_articles:
            rows = _noting_articles(rows, exported_ids, scripts)
        elif view.name == "dataset_links":
            rows = _counting_links(rows, exported_ids, links)
        if progress is not None:
            rows = _reporting(rows, view.name, total, progress)
        path = out / file_name(view, format)
        columns = dataset_columns(connection, view) + (["dup_of"] if view.is_articles else [])
        types = {column: column_type(view, column) for column in columns}
        written = WRITERS[format](path, view, types, rows, bom)
        result.files.append(ExportedFile(view.name, path, written, types))
    result.facts = archive_facts(connection, articles)
    result.facts["scripts"] = scripts
    result.facts["links_outside_archive"] = links["outside_archive"]
    result.facts["links_outside_export"] = links["outside_export"]
    result.seconds = time.perf_counter() - start
    write_datasheet(result, articles, dedup)
    write_dataset_card(result)
    return result


# --------------------------------------------------------------------------- the output folder

MANIFEST = ".itp6crawl-export.json"  # what an export wrote: how the next one knows the folder is its to replace


def check_out(out: Path, db: Path, *, force: bool = False) -> None:
    """Refuse ``out`` unless it is new, empty, a previous export as it was written, or ``force``; never
    a folder that holds the archive ``db``."""
    if not out.name:
        raise ExportRefused(f"--out {out} is the root folder: an export replaces its folder whole")
    if out.exists() and not out.is_dir():
        raise ExportRefused(f"--out {out} is a file, not a folder")
    if not out.exists():
        return
    if db.resolve().is_relative_to(out.resolve()):
        raise ExportRefused(f"--out {out} holds the archive {db}: an export replaces its folder whole")
    if force:
        return
    foreign = _not_written_by_export(out)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ExportRefused(
            f"--out {out} holds files no export wrote ({shown}); an export replaces its folder whole:"
            " choose a new or empty folder, or add --force to replace it"
        )


def _not_written_by_export(out: Path) -> list[str]:
    """What in ``out`` a previous export did not leave there as it is now (sorted relative names)."""
    present = sorted(str(path.relative_to(out)) for path in out.rglob("*"))  # folders too: an export makes none
    try:
        written = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return present
    changed = [name for name in present if name != MANIFEST and _fingerprint(out / name) != written.get(name)]
    if changed or sorted(written) != [name for name in present if name != MANIFEST]:
        return changed or [MANIFEST]  # a file of the export gone: the manifest no longer describes the folder
    return []


def _fingerprint(path: Path) -> list[int]:
    status = path.lstat()
    return [status.st_size, status.st_mtime_ns]


def _write_manifest(result: ExportResult) -> None:
    names = sorted(str(path.relative_to(result.out)) for path in result.out.rglob("*") if path.is_file())
    manifest = {
        "written_by": f"itp6crawl export {_version('itp6crawl')}",
        "format": result.format,
        "files": {name: _fingerprint(result.out / name) for name in names},
    }
    (result.out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _move_into_place(new: Path, out: Path) -> None:
    """Rename ``new`` to ``out``; an existing ``out`` is renamed aside first and deleted after, so a
    reader sees the old folder or the new one (for an instant none), never a mix."""
    if not out.exists():
        os.rename(new, out)
        return
    old = new.parent / "replaced"
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise


def _with_duplicates(
    view: DatasetView, rows: Iterator[dict[str, Any]], dup_of: dict[int, int], skip: set[int]
) -> Iterator[dict[str, Any]]:
    """Articles gain ``dup_of``; with --dedup the duplicates and what hangs off them are left out."""
    for row in rows:
        if row[view.article_key] in skip:
            continue
        if view.is_articles:
            row["dup_of"] = dup_of.get(row["id"])
        yield row


def _noting_articles(
    rows: Iterator[dict[str, Any]], exported_ids: array[int], scripts: ScriptCounter
) -> Iterator[dict[str, Any]]:
    """Keep the ids of the articles written (for the links) and count the scripts of their text."""
    for row in rows:
        exported_ids.append(row["id"])
        scripts.add(row.get("title"), row.get("body_text"))
        yield row


def _counting_links(
    rows: Iterator[dict[str, Any]], exported_ids: array[int], counts: dict[str, int]
) -> Iterator[dict[str, Any]]:
    """Count the links that leave the export: to pages the archive does not hold (``dst_id`` NULL: a
    page that is not an article, or an article never archived) and to archived articles this export
    leaves out (filtered, gone, or dropped by --dedup)."""
    for row in rows:
        target = row["dst_id"]
        if target is None:
            counts["outside_archive"] += 1
        else:
            at = bisect_left(exported_ids, target)
            if at == len(exported_ids) or exported_ids[at] != target:
                counts["outside_export"] += 1
        yield row


def _reporting(
    rows: Iterator[dict[str, Any]], name: str, total: int, progress: Callable[[str, int, int], None]
) -> Iterator[dict[str, Any]]:
    for done, row in enumerate(rows, 1):
        if done % 5000 == 0:
            progress(name, done, total)
        yield row
    progress(name, total, total)


# --------------------------------------------------------------------------- writers

# What each column holds, the same in every format and in the dataset card's ``features``: ``int64``,
# ``string``, ``list`` (of strings: arrays in JSON lines and Parquet, JSON text in CSV), ``timestamp``
# (ISO 8601 with +08:00 in JSON lines and CSV, timestamp[s, tz=+08:00] in Parquet) and ``date``
# (YYYY-MM-DD, date32 in Parquet). Columns not named here are text.
INTEGER_COLUMNS = frozenset(
    {"id", "dup_of", "characters", "words", "views", "likes", "versions", "src_id", "dst_id", "position"}
    | {"article_id", "comment_id", "parent_id", "version"}
)
TIMESTAMP_COLUMNS = frozenset(
    {"published_at", "modified_at", "first_seen_at", "last_seen_at", "time", "archived_at", "fetched_at"}
    | {"changed_at"}
)
DATE_COLUMNS = frozenset({"dst_date"})
TIMEZONE = "+08:00"  # China time, the archive's


def column_type(view: DatasetView, column: str) -> str:
    """``int64``, ``string``, ``list``, ``timestamp`` or ``date``: what ``column`` of ``view`` holds."""
    if column in view.json_columns:
        return "list"
    if column in INTEGER_COLUMNS:
        return "int64"
    if column in TIMESTAMP_COLUMNS:
        return "timestamp"
    if column in DATE_COLUMNS:
        return "date"
    return "string"


Writer = Callable[[Path, DatasetView, dict[str, str], Iterable[dict[str, Any]], bool], int]


def _arrays(view: DatasetView, row: dict[str, Any]) -> dict[str, Any]:
    """JSON-array text columns as lists."""
    for column in view.json_columns:
        value = row.get(column)
        row[column] = json.loads(value) if value else []
    return row


def write_jsonl(path: Path, view: DatasetView, types: dict[str, str], rows: Iterable[dict[str, Any]], bom: bool) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(_arrays(view, row), ensure_ascii=False) + "\n")
            count += 1
    return count


def write_csv(path: Path, view: DatasetView, types: dict[str, str], rows: Iterable[dict[str, Any]], bom: bool) -> int:
    """RFC 4180 CSV, UTF-8 (with a BOM if asked: Excel then reads the Chinese right); array columns hold
    JSON text (``["紫癜","激素"]``), as in the archive."""
    count = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(types))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_parquet(
    path: Path, view: DatasetView, types: dict[str, str], rows: Iterable[dict[str, Any]], bom: bool
) -> int:
    """One row group per ``BATCH`` rows, typed by :func:`column_type`: timestamps are timezone-aware
    (``timestamp[s, tz=+08:00]``, which Parquet stores in milliseconds, adjusted to UTC), dates date32.
    A view with no rows is a file with its schema and no row group."""
    import pyarrow.parquet as pq

    schema = parquet_schema(types)
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for row in rows:
            batch.append(_arrays(view, row))
            count += 1
            if len(batch) >= BATCH:
                writer.write_table(_parquet_batch(batch, types, schema))
                batch.clear()
        if batch:
            writer.write_table(_parquet_batch(batch, types, schema))
    return count


def parquet_schema(types: dict[str, str]) -> Any:
    import pyarrow as pa

    arrow = {
        "int64": pa.int64(),
        "string": pa.string(),
        "list": pa.list_(pa.string()),
        "timestamp": pa.timestamp("s", tz=TIMEZONE),
        "date": pa.date32(),
    }
    return pa.schema([pa.field(column, arrow[kind]) for column, kind in types.items()])


def _parquet_batch(batch: list[dict[str, Any]], types: dict[str, str], schema: Any) -> Any:
    """The rows as a table of ``schema``: dates and timestamps are read from their ISO 8601 text by
    Arrow, a column at a time (a value Arrow cannot read, such as one without an offset, through
    :func:`_moment`)."""
    import pyarrow as pa

    columns = []
    for field in schema:
        values = [row.get(field.name) for row in batch]
        if types[field.name] in ("timestamp", "date"):
            text = pa.array(values, pa.string())
            try:
                columns.append(text.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                parse = _moment if types[field.name] == "timestamp" else _day
                columns.append(pa.array([parse(value) for value in values], field.type))
        else:
            columns.append(pa.array(values, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _moment(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp in China time, to the second (naive ones are China time, as in the archive)."""
    if not value:
        return None
    return datetime.fromisoformat(iso(datetime.fromisoformat(value)))


def _day(value: str | None) -> Any:
    if not value:
        return None
    return datetime.fromisoformat(value).date()


WRITERS: dict[str, Writer] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}


# --------------------------------------------------------------------------- facts for the datasheet


def archive_facts(connection: Any, articles: ArticleFilter) -> dict[str, Any]:
    """The figures a datasheet states: dates, extractors, crawl runs, versions of the tools."""
    condition = articles.condition(connection)
    first, last = connection.execute(
        f"SELECT min(published_at), max(published_at) FROM articles WHERE {condition}", articles.params
    ).fetchone()
    extractors = dict(
        connection.execute(
            f"SELECT extractor, count(*) FROM articles WHERE {condition} GROUP BY extractor", articles.params
        ).fetchall()
    )
    categories = connection.execute(
        f"SELECT value, count(*) FROM articles, json_each(articles.categories) WHERE {condition}"
        " GROUP BY value ORDER BY count(*) DESC",
        articles.params,
    ).fetchall()
    return {
        "published_first": first,
        "published_last": last,
        "extractors": extractors,
        "categories": categories,
        "runs": crawl_runs(connection),
        "exported_at": iso(datetime.now(CST)),
        "versions": {name: _version(name) for name in ("itp6crawl", "rjieba", "opencc", "scrapy", "trafilatura")},
    }


# The crawl as its runs recorded it, one row per site: Scrapy's own stats (requests, seconds of crawling,
# robots.txt), so the datasheet says how the crawl went, not how it is configured by default.
_RUNS = """
SELECT site, count(*) AS runs, sum(finish_reason = 'finished') AS finished, min(started_at) AS first,
  max(finished_at) AS last,
  sum(coalesce(json_extract(run_stats, '$."downloader/request_count"'), 0)) AS requests,
  sum(coalesce(json_extract(run_stats, '$.elapsed_time_seconds'), 0)) AS seconds,
  sum(coalesce(json_extract(run_stats, '$."robotstxt/request_count"'), 0)) AS robots,
  count(warc_file) AS warc_files
FROM (SELECT *, CASE WHEN json_valid(stats) THEN stats END AS run_stats FROM crawl_runs)
WHERE finished_at IS NOT NULL AND coalesce(json_extract(run_stats, '$."downloader/request_count"'), 0) > 0
GROUP BY site ORDER BY min(started_at)
"""


def crawl_runs(connection: Any) -> list[dict[str, Any]]:
    """The runs that fetched anything, per site: how many (and how many finished), when, requests,
    seconds, robots.txt requests, WARC files."""
    cursor = connection.execute(_RUNS)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
