"""Rebuild the archive's articles from the WARC files, with no network.

Every article response the crawls wrote (200, 304 revisits, 404/410) is replayed, in run order,
through the same pipelines a crawl uses (extract -> segment -> store), with the WARC record's date
as the fetch time. Articles, versions, links, comments, segmentation, the FTS index and the crawl
state are rebuilt; the run log (``crawl_runs``, ``failures``) is history and is kept. The rebuild
happens in a copy that replaces the archive only when it is complete, so an interrupted reindex
leaves the archive as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from .extract.encoding import content_type_charset
from .items import PageItem
from .models import CANONICAL_SITE, CST, post_id_from_url
from .pipelines import ExtractPipeline, StorePipeline
from .store import Archive, ArchiveMissing, check_archive_file
from .warc import iter_responses, warc_files

DERIVED_TABLES = ("links", "comments", "article_versions", "articles", "crawl_state")
REPLAY_BATCH = 16  # responses sent to a worker at a time


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
    jobs: int | None = None,
) -> ReindexResult:
    """Rebuild ``db``'s articles from the WARC files in ``warc_dir`` (default: ``warc/`` beside it).

    Extraction and segmentation run in ``jobs`` worker processes (default: one per CPU; 1 runs them
    here); storing stays in this process, in WARC order."""
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
    # The workers start before the archive opens: a forked process must not inherit an open connection.
    with _preparation(canonical_site, jobs, stats) as prepared, Archive.open(building) as archive:
        with archive.db.conn:
            for table in DERIVED_TABLES:
                archive.db.execute(f"DELETE FROM {table}")
        store = StorePipeline(ReplaySession(archive, canonical_site), stats)
        for item in prepared(_replayed_items(files)):
            store.process_item(item)
            result.records += 1
            if progress is not None:
                progress(result.records, item.url)
        archive.refresh_search()
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.replace(building, db)
    result.counts = {key.removeprefix("itp6/"): int(value) for key, value in stats.values.items()}
    return result


def _replayed_items(files: list[Path]) -> Iterator[PageItem]:
    """The article responses of the WARC files, in order, as the spider would have handed them on."""
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
        yield item


class _Preparer:
    """Extract + segment, the CPU-bound part of the pipelines; a worker process holds one."""

    def __init__(self, canonical_site: str) -> None:
        self.stats = ReplayStats()
        self.extract = ExtractPipeline(self.stats, canonical_site)

    def prepare(self, items: list[PageItem]) -> tuple[list[PageItem], Counter[str]]:
        self.stats.values.clear()
        for item in items:
            self.extract.extract(item)
            item.body = b""  # stored from the WARC record, not sent back
        return items, Counter(self.stats.values)


_worker_preparer: _Preparer | None = None


def _start_worker(canonical_site: str) -> None:
    global _worker_preparer
    _worker_preparer = _Preparer(canonical_site)


def _prepare_in_worker(items: list[PageItem]) -> tuple[list[PageItem], Counter[str]]:
    assert _worker_preparer is not None
    return _worker_preparer.prepare(items)


@contextmanager
def _preparation(
    canonical_site: str, jobs: int | None, stats: ReplayStats
) -> Iterator[Callable[[Iterator[PageItem]], Iterator[PageItem]]]:
    """A function that extracts and segments items, in order, adding what the pipelines count to
    ``stats``. With more than one job, batches go to worker processes, a few per worker in flight (WARC
    bodies are never all read into memory)."""
    jobs = jobs or len(os.sched_getaffinity(0))
    if jobs <= 1:
        preparer = _Preparer(canonical_site)

        def here(items: Iterator[PageItem]) -> Iterator[PageItem]:
            for batch in _batches(items, 1):
                done, counts = preparer.prepare(batch)
                stats.values.update(counts)
                yield from done

        yield here
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(canonical_site,)) as pool:
        pool.submit(os.getpid).result()  # with fork, the first task starts every worker process

        def in_workers(items: Iterator[PageItem]) -> Iterator[PageItem]:
            pending: deque[Future[tuple[list[PageItem], Counter[str]]]] = deque()

            def oldest() -> list[PageItem]:
                done, counts = pending.popleft().result()
                stats.values.update(counts)
                return done

            for batch in _batches(items, REPLAY_BATCH):
                pending.append(pool.submit(_prepare_in_worker, batch))
                if len(pending) >= jobs * 4:
                    yield from oldest()
            while pending:
                yield from oldest()

        yield in_workers


def _batches(items: Iterator[PageItem], size: int) -> Iterator[list[PageItem]]:
    while batch := list(islice(items, size)):
        yield batch


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
