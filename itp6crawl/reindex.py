"""Rebuild the archive's articles from the WARC files, with no network.

Every article response the archive's crawls wrote (200, 304 revisits, 404/410) is replayed, in run
order, through the ingest core a crawl uses (:mod:`itp6crawl.ingest`: read, then record), with the WARC
record's date as the fetch time; reading runs in the crawl's worker processes (:mod:`itp6crawl.workers`).
Articles, versions, links, comments, segmentation, the FTS index and the crawl state are rebuilt;
the run log (``crawl_runs``, ``failures``) is history and is kept. The rebuild happens in a copy that
replaces the archive only when it is complete, so an interrupted reindex leaves the archive as it was;
it holds the archive's lock meanwhile, so no crawl writes beside it.

Only the archive's own records are replayed, and every other file or record is refused and counted
(:mod:`itp6crawl.warc_selection`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path

from . import counters, ingest
from .extract.encoding import content_type_charset
from .items import PageItem
from .store import ArchiveLock, check_archive_file, check_writable
from .store.rebuild import rebuilt_in_copy
from .times import CST
from .urls import CANONICAL_SITE, post_id_from_url
from .warc import WarcResponse, warc_dir_of
from .warc_selection import check_warc_folder, select_records
from .workers import WorkerPool, auto_workers

logger = logging.getLogger(__name__)
REPLAY_BATCH = 16  # responses sent to a worker at a time


@dataclass
class ReindexResult:
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    refused_files: list[str] = field(default_factory=list)  # WARC files of other archives, not read
    refused_records: int = 0  # records of other archives in legacy files shared by two archives


def reindex(
    db: str | Path,
    warc_dir: str | Path | None = None,
    *,
    canonical_site: str = CANONICAL_SITE,
    progress: Callable[[int, str], None] | None = None,
    jobs: int | None = None,
) -> ReindexResult:
    """Rebuild ``db``'s articles from the WARC files in ``warc_dir`` (default: ``warc/`` beside it).

    Extraction and segmentation run in ``jobs`` worker processes of the crawl's pool (default: one per
    CPU, :func:`~itp6crawl.workers.auto_workers`; 1 runs them here); storing stays in this process, in
    WARC order."""
    db = Path(db)
    check_archive_file(db)  # a file that is not our archive is refused before anything is read or written
    check_writable(db)
    warc_dir = Path(warc_dir) if warc_dir else warc_dir_of(db)
    check_warc_folder(warc_dir)
    result = ReindexResult()
    tally: Counter[str] = Counter()
    workers = auto_workers(caller_busy=False) if jobs is None else (jobs if jobs > 1 else 0)
    with ArchiveLock(db):
        new = not db.exists()
        with WorkerPool(workers) as pool, rebuilt_in_copy(db) as archive:
            selection = select_records(archive, warc_dir, new=new)
            archive.clear_derived()
            store = ingest.Batch(archive, 0)  # each page its own transaction, as before
            read = partial(read_batch, canonical_site=canonical_site)
            batches = _batches(_replayed_items(selection.records()), REPLAY_BATCH if workers else 1)
            for pages, counted in pool.ordered(read, batches):
                tally.update(counted)
                for page in pages:
                    store.record(page, run_id=None, canonical_site=canonical_site)
                    tally.update(store.commit())
                    result.records += 1
                    if progress is not None:
                        progress(result.records, page.url)
            archive.refresh_search()
    result.refused_files, result.refused_records = selection.refused_files, selection.refused_records
    result.counts = {counters.short_name(key): value for key, value in tally.items()}
    return result


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
