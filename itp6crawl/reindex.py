"""Rebuild the archive's articles from the WARC files, with no network.

Every article response the archive's crawls wrote (200, 304 revisits, 404/410) is replayed, in run
order, through the same pipelines a crawl uses (extract -> segment -> store), with the WARC record's
date as the fetch time. Articles, versions, links, comments, segmentation, the FTS index and the crawl
state are rebuilt; the run log (``crawl_runs``, ``failures``) is history and is kept. The rebuild
happens in a copy that replaces the archive only when it is complete, so an interrupted reindex
leaves the archive as it was; it holds the archive's lock meanwhile, so no crawl writes beside it.

Only the archive's own records are replayed (:func:`select_records`): files whose ``warcinfo`` names
this archive, and, in the files of releases that named none (``<run-id>.warc.gz``, which two archives
in one folder shared), the records of this archive's runs: written within the run's time, from its site.
Every other file or record is refused and counted.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from .extract.encoding import content_type_charset
from .items import PageItem
from .pipelines import ExtractPipeline, StorePipeline
from .store import Archive, ArchiveError, ArchiveLock, ArchiveMissing, check_archive_file, check_writable
from .times import CST, parse_iso
from .urls import CANONICAL_SITE, post_id_from_url, same_site
from .warc import ARCHIVE_ID_FIELD, WarcResponse, iter_responses, run_of_file, warc_files, warcinfo_of

logger = logging.getLogger(__name__)
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
    refused_files: list[str] = field(default_factory=list)  # WARC files of other archives, not read
    refused_records: int = 0  # records of other archives in legacy files shared by two archives


@dataclass(frozen=True, slots=True)
class RunWindow:
    """When and from where one run of the archive fetched: the records of a legacy file that are its own."""

    site: str
    start: datetime
    end: datetime | None  # None: until the end of time (the last run, or a run killed without an end)

    def holds(self, record: WarcResponse) -> bool:
        date = record.date
        slack = timedelta(seconds=2)  # WARC-Date has whole seconds; run times are taken a moment apart
        return (
            date >= self.start - slack
            and (self.end is None or date <= self.end + slack)
            and same_site(record.url, self.site)
        )


@dataclass
class RecordSelection:
    """Which WARC files and records of a folder are one archive's own (see the module docstring)."""

    files: list[Path] = field(default_factory=list)
    windows: dict[str, RunWindow | None] = field(default_factory=dict)  # legacy file name -> its run's window
    refused_files: list[str] = field(default_factory=list)
    refused_records: int = 0

    def records(self) -> Iterator[WarcResponse]:
        for record in iter_responses(self.files):
            window = self.windows.get(record.file)
            if window is not None and not window.holds(record):
                self.refused_records += 1
                continue
            yield record


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
    check_writable(db)
    warc_dir = Path(warc_dir) if warc_dir else db.parent / "warc"
    files = warc_files(warc_dir)
    if not files:
        raise ArchiveMissing(f"no WARC files in {warc_dir}: nothing to rebuild from")
    building = db.with_name(db.name + ".reindex")
    with ArchiveLock(db):
        for leftover in _sqlite_files(building):
            leftover.unlink(missing_ok=True)
        existed = db.exists()
        if existed:
            _copy_database(db, building)
        result = ReindexResult()
        stats = ReplayStats()
        try:
            # The workers start before the archive opens: a forked process must not inherit a connection.
            with _preparation(canonical_site, jobs, stats) as prepared, Archive.open(building) as archive:
                selection = select_records(archive, files, new=not existed)
                with archive.db.conn:
                    for table in DERIVED_TABLES:
                        archive.db.execute(f"DELETE FROM {table}")
                store = StorePipeline(ReplaySession(archive, canonical_site), stats)
                for item in prepared(_replayed_items(selection.records())):
                    store.process_item(item)
                    result.records += 1
                    if progress is not None:
                        progress(result.records, item.url)
                archive.refresh_search()
                archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            for leftover in _sqlite_files(building):
                leftover.unlink(missing_ok=True)
            raise
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        os.replace(building, db)
    result.refused_files, result.refused_records = selection.refused_files, selection.refused_records
    result.counts = {key.removeprefix("itp6/"): int(value) for key, value in stats.values.items()}
    return result


def select_records(archive: Archive, files: list[Path], *, new: bool) -> RecordSelection:
    """The files (and, in legacy files, the records) of ``files`` that are ``archive``'s own.

    A ``new`` archive (rebuilt from WARC files alone) has no identity of its own yet: it takes the one
    archive the files name, and refuses to guess between several."""
    named = {path: warcinfo_of(path).get(ARCHIVE_ID_FIELD) for path in files}
    owners = sorted({owner for owner in named.values() if owner})
    ours = archive.identity().archive_id
    if new and owners:
        if len(owners) > 1:
            listed = ", ".join(f"{owner[:8]} ({_archive_name(named, owner)})" for owner in owners)
            raise ArchiveError(
                f"the WARC folder holds the files of {len(owners)} archives ({listed}): reindex"
                " each into its own archive, or copy one archive's files into a folder of their own"
            )
        ours = owners[0]
        archive.adopt_identity(ours)
    windows = _run_windows(archive)
    selection = RecordSelection()
    for path, owner in named.items():
        if owner == ours:
            selection.files.append(path)
        elif owner:
            selection.refused_files.append(path.name)
            logger.warning("%s belongs to another archive (%s): not replayed", path, owner)
        elif new and not windows:
            selection.files.append(path)  # a legacy file and no run log to tell whose: all of it
        else:
            run = run_of_file(path)
            window = windows.get(run) if run is not None else None
            if window is None:
                selection.refused_files.append(path.name)
                logger.warning("%s is not the file of a run of this archive: not replayed", path)
                continue
            selection.files.append(path)
            selection.windows[path.name] = window
    return selection


def _archive_name(named: dict[Path, str | None], owner: str) -> str:
    return next(path.name.rsplit("-", 2)[0] for path, name in named.items() if name == owner)


def _run_windows(archive: Archive) -> dict[int, RunWindow]:
    """Each run's site and time span, from the run log (a run killed without an end lasts until the next)."""
    rows = archive.db.execute("SELECT id, site, started_at, finished_at FROM crawl_runs ORDER BY id").fetchall()
    windows: dict[int, RunWindow] = {}
    for index, (run_id, site, started_at, finished_at) in enumerate(rows):
        start = parse_iso(started_at or "")
        if start is None or not site:
            continue
        end = parse_iso(finished_at or "")
        if end is None and index + 1 < len(rows):
            end = parse_iso(rows[index + 1][2] or "")
        windows[run_id] = RunWindow(site, start, end)
    return windows


def _replayed_items(records: Iterator[WarcResponse]) -> Iterator[PageItem]:
    """The article responses among ``records``, in order, as the spider would have handed them on."""
    for record in records:
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
            failure=record.incomplete,
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
