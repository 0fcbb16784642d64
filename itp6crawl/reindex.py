"""Rebuild the archive's articles from the WARC files, with no network.

Every article response the archive's crawls wrote (200, 304 revisits, 404/410) is replayed, in run
order, through the ingest core a crawl uses (:mod:`itp6crawl.ingest`: read, then record), with the WARC
record's date as the fetch time; reading runs in the crawl's worker processes (:mod:`itp6crawl.workers`).
Articles, versions, links, comments, segmentation, the FTS index and the crawl state are rebuilt;
the run log (``crawl_runs``, ``failures``) is history and is kept. The rebuild happens in a copy that
replaces the archive only when it is complete, so an interrupted reindex leaves the archive as it was;
it holds the archive's lock meanwhile, so no crawl writes beside it.

Only the archive's own records are replayed (:func:`select_records`): files whose ``warcinfo`` names
this archive, and, in the files of releases that named none (``<run-id>.warc.gz``, which two archives
in one folder shared), the records of this archive's runs: written within the run's time, from its site.
Every other file or record is refused and counted.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path

from . import counters, ingest
from .extract.dates import parse_iso
from .extract.encoding import content_type_charset
from .items import PageItem
from .models import CANONICAL_SITE, CST, post_id_from_url, same_site
from .store import Archive, ArchiveError, ArchiveLock, ArchiveMissing, check_archive_file, check_writable
from .warc import ARCHIVE_ID_FIELD, WarcResponse, iter_responses, run_of_file, warc_files, warcinfo_of
from .workers import WorkerPool, auto_workers

logger = logging.getLogger(__name__)
DERIVED_TABLES = ("links", "comments", "article_versions", "articles", "crawl_state")
REPLAY_BATCH = 16  # responses sent to a worker at a time


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

    Extraction and segmentation run in ``jobs`` worker processes (default: the crawl's, one per CPU but
    one; 1 runs them here); storing stays in this process, in WARC order."""
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
        tally: Counter[str] = Counter()
        workers = auto_workers() if jobs is None else (jobs if jobs > 1 else 0)
        try:
            with WorkerPool(workers) as pool, Archive.open(building) as archive:
                selection = select_records(archive, files, new=not existed)
                with archive.db.conn:
                    for table in DERIVED_TABLES:
                        archive.db.execute(f"DELETE FROM {table}")
                read = partial(read_batch, canonical_site=canonical_site)
                batches = _batches(_replayed_items(selection.records()), REPLAY_BATCH if workers else 1)
                for pages, counted in pool.ordered(read, batches):
                    tally.update(counted)
                    for page in pages:
                        outcome = ingest.record(archive, page, run_id=None, canonical_site=canonical_site)
                        if outcome.stat is not None:
                            tally[outcome.stat] += 1
                        result.records += 1
                        if progress is not None:
                            progress(result.records, page.url)
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
    result.counts = {counters.short_name(key): value for key, value in tally.items()}
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


def read_batch(pages: list[PageItem], canonical_site: str) -> tuple[list[PageItem], Counter[str]]:
    """Read each of ``pages`` (:func:`itp6crawl.ingest.read`), in a worker process or here; the counters
    reading moved come back with them. Bodies are not sent back: the store takes them from WARC records."""
    counted: Counter[str] = Counter()
    for page in pages:
        reading = ingest.read(page, canonical_site)
        if reading.stat is not None:
            counted[reading.stat] += 1
        page.body = b""
    return pages, counted


def _batches(items: Iterable[PageItem], size: int) -> Iterator[list[PageItem]]:
    items = iter(items)
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
