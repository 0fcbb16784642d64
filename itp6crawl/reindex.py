"""Rebuild the archive's articles from the WARC files, with no network.

Every article response the crawls wrote (200, 304 revisits, 404/410) is replayed, in run order,
through the same pipelines a crawl uses (extract -> segment -> store), with the WARC record's date
as the fetch time. Articles, versions, links, comments, segmentation, the FTS index and the crawl
state are rebuilt; the run log (``crawl_runs``, ``failures``) is history and is kept. The rebuild
happens in a copy that replaces the archive only when it is complete, so an interrupted reindex
leaves the archive as it was.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .extract.encoding import content_type_charset
from .items import PageItem
from .models import CANONICAL_SITE, CST, post_id_from_url
from .pipelines import ExtractPipeline, SegmentPipeline, StorePipeline
from .store import Archive, ArchiveMissing, check_archive_file
from .warc import iter_responses, warc_files

DERIVED_TABLES = ("links", "comments", "article_versions", "articles", "crawl_state")


class ReplayStats:
    """The part of Scrapy's stats collector the pipelines use, kept in a Counter."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


@dataclass
class ReplaySession:
    """The store pipeline's session during a replay: no run row, and a write error is raised."""

    archive: Archive | None
    canonical_site: str = CANONICAL_SITE
    run_id: int | None = None
    error: str | None = None

    def fail(self, error: BaseException, context: str) -> None:
        raise RuntimeError(f"{context}: {error}") from error


@dataclass
class ReindexResult:
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def reindex(
    db: str | Path,
    warc_dir: str | Path | None = None,
    *,
    canonical_site: str = CANONICAL_SITE,
    progress: Callable[[int, str], None] | None = None,
) -> ReindexResult:
    """Rebuild ``db``'s articles from the WARC files in ``warc_dir`` (default: ``warc/`` beside it)."""
    db = Path(db)
    check_archive_file(db)  # a file that is not our archive is refused before anything is read or written
    warc_dir = Path(warc_dir) if warc_dir else db.parent / "warc"
    files = warc_files(warc_dir)
    if not files:
        raise ArchiveMissing(f"no WARC files in {warc_dir}: nothing to rebuild from")
    building = db.with_name(db.name + ".reindex")
    for leftover in _sqlite_files(building):
        leftover.unlink(missing_ok=True)
    if db.exists():
        _copy_database(db, building)
    result = ReindexResult()
    stats = ReplayStats()
    with Archive.open(building) as archive:
        with archive.db.conn:
            for table in DERIVED_TABLES:
                archive.db.execute(f"DELETE FROM {table}")
        session = ReplaySession(archive, canonical_site)
        extract, segment = ExtractPipeline(stats, canonical_site), SegmentPipeline()
        store = StorePipeline(session, stats)
        for record in iter_responses(files):
            if post_id_from_url(record.url) is None or record.status not in (200, 304, 404, 410):
                continue
            item = PageItem(
                url=record.url,
                request_url=record.url,
                status=record.status,
                fetched_at=record.date.astimezone(CST),
                headers=dict(record.headers),
                body=record.body,
                warc=(record.file, record.offset),
            )
            item.charset = content_type_charset(item.header("Content-Type"))
            store.process_item(segment.process_item(extract.process_item(item)))
            result.records += 1
            if progress is not None:
                progress(result.records, record.url)
        archive.refresh_search()
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.replace(building, db)
    result.counts = {key.removeprefix("itp6/"): int(value) for key, value in stats.values.items()}
    return result


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the backup API, not a file copy that could tear)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(str(path) + "-wal"), Path(str(path) + "-shm")]
