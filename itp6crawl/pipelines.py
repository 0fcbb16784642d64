"""Item pipelines, in order: extract (and segment) -> store. Thin: the rules are :mod:`itp6crawl.ingest`'s.

Extraction and segmentation are CPU-bound: with ``ITP6_WORKERS`` they run in worker processes that
the extract pipeline awaits, while the crawl's own process downloads and stores (see
:mod:`itp6crawl.workers`). The store pipeline batches the archive's transactions and counts.

A page that cannot be archived keeps its ``failure`` reason and flows on to StorePipeline, which
records it in ``failures``: the crawl never stops for one bad page, and nothing archived is lost.
A write error is different: it stops the crawl as failed (see :mod:`itp6crawl.session`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Protocol, runtime_checkable

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.reactor import CallLaterOnce

from . import counters, ingest
from .items import PageItem
from .reading import read_page
from .session import WRITE_ERRORS, CrawlSession
from .store import Archive
from .urls import CANONICAL_SITE
from .workers import WorkerPool

logger = logging.getLogger(__name__)
SLOW_WRITE_SECONDS = 2.0  # a write that took this long waited for someone else's lock: say so


@runtime_checkable
class FollowsLinks(Protocol):
    """A spider that requests the post links the extract pipeline reads from a page (``Itp6Spider``)."""

    def follow(self, urls: list[str], referer: str) -> None: ...


class ExtractPipeline:
    """Page bytes -> Article and its search columns (:func:`itp6crawl.ingest.readable`, then
    :func:`~itp6crawl.reading.read_page`, then :func:`itp6crawl.ingest.take_reading`).

    The page is parsed here, once, in a worker process when the crawl has them: the same parse gives
    the post links the spider follows (its related posts and neighbours), handed to ``spider.follow``.
    Extraction and segmentation are one call, so a page crosses to a worker and back once (two round
    trips cost 7% of a local crawl's time)."""

    def __init__(
        self,
        stats: StatsCollector,
        canonical_site: str = CANONICAL_SITE,
        workers: WorkerPool | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.stats = stats
        self.canonical_site = canonical_site
        self.workers = workers or WorkerPool(0)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        session = CrawlSession.of(crawler)
        return cls(crawler.stats, session.canonical_site, session.workers(), crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        refused = ingest.readable(item)
        if refused is not None:
            self._count(refused)
            return item
        options = ingest.reading_options(item, self.canonical_site)
        try:
            reading = await self.workers.run(read_page, item.body, item.url, options)
        except Exception as error:  # a bug or a dead worker must not stop the crawl: the page is a failure
            self._count(ingest.reading_crashed(item, error))
            return item
        if reading.followed and isinstance(spider := self._spider(), FollowsLinks):
            spider.follow(reading.followed, item.url)
        self._count(ingest.take_reading(item, reading))
        return item

    def _count(self, reading: ingest.Reading) -> None:
        if reading.stat is not None:
            self.stats.inc_value(reading.stat)

    def _spider(self) -> Spider | None:
        try:
            return self.crawler.spider if self.crawler is not None else None
        except RuntimeError:  # Scrapy's "not set yet": a pipeline driven outside a crawl
            return None


class StorePipeline:
    """Hands each page to the ingest core (:func:`itp6crawl.ingest.record`) in batched transactions
    (:class:`itp6crawl.ingest.Batch`, ``ITP6_COMMIT_SECONDS``) and counts what each batch committed in
    the crawl's stats. A write error stops the crawl (see :mod:`itp6crawl.session`)."""

    def __init__(
        self,
        session: CrawlSession,
        stats: StatsCollector,
        crawler: Crawler | None = None,
        *,
        commit_seconds: float = 0.0,
    ) -> None:
        self.session = session
        self.stats = stats
        self.crawler = crawler
        self.commit_seconds = commit_seconds
        self._batch: ingest.Batch | None = None
        self._commit_later = CallLaterOnce(self._commit_when_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        commit_seconds = crawler.settings.getfloat("ITP6_COMMIT_SECONDS")
        return cls(CrawlSession.of(crawler), crawler.stats, crawler, commit_seconds=commit_seconds)

    def open_spider(self) -> None:
        if self.crawler is not None:
            site = getattr(self.crawler.spider, "site", self.crawler.settings.get("ITP6_SITE"))
            self.session.open(site)

    def close_spider(self) -> None:
        self._commit_later.cancel()
        try:
            self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, "committing the last articles")

    def process_item(self, item: PageItem) -> PageItem:
        archive = self.session.archive
        if archive is None or self.session.error is not None:
            return item  # the crawl is stopping after a write error: this page is fetched again next run
        started = time.monotonic()
        try:
            batch = self._batch_of(archive)
            if batch.begin():
                with contextlib.suppress(RuntimeError):  # no reactor (outside a crawl): a later item commits
                    self._commit_later.schedule(self.commit_seconds)
            batch.record(item, run_id=self.session.run_id, canonical_site=self.session.canonical_site)
            if batch.due:
                self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, f"storing {item.url}")
        waited = time.monotonic() - started
        if waited >= SLOW_WRITE_SECONDS:  # another process held the archive's write lock (busy_timeout 30 s)
            self.stats.inc_value(counters.SLOW_WRITES)
            logger.warning("Waited %.1f s to write %s: another process was writing to the archive", waited, item.url)
        return item

    def _batch_of(self, archive: Archive) -> ingest.Batch:
        if self._batch is None or self._batch.archive is not archive:
            self._batch = ingest.Batch(archive, self.commit_seconds)
        return self._batch

    def commit(self) -> None:
        """Commit the open batch, if any, and count what it stored."""
        if self._batch is not None:
            for key, count in self._batch.commit().items():
                self.stats.inc_value(key, count)

    def _commit_when_idle(self) -> None:
        """The timer's commit: no item came to commit the batch in time (a polite crawl, the last page)."""
        try:
            self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, "committing stored articles")

    def _write_failed(self, error: BaseException, context: str) -> None:
        """A write error: roll the open batch back and stop the crawl. The batch's pages are fetched again
        by the next run, as after a kill; the batches committed before stay, counted."""
        if self._batch is not None:
            self._batch.rollback()
        self.session.fail(error, context)
