"""Item pipelines, in order: extract (and segment) -> store.

Extraction and segmentation are CPU-bound: with ``ITP6_WORKERS`` they run in worker processes that
the extract pipeline awaits, while the crawl's own process downloads and stores (see
:mod:`itp6crawl.workers`).

A page that cannot be archived keeps its ``failure`` reason and flows on to StorePipeline, which
records it in ``failures``: the crawl never stops for one bad page, and nothing archived is lost.
A write error is different: it stops the crawl as failed (see :mod:`itp6crawl.session`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
import weakref
from collections import Counter
from typing import Any, Protocol, runtime_checkable

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.reactor import CallLaterOnce

from .completeness import document_problem
from .extract import ExtractOptions
from .items import PageItem
from .reading import PageReading, read_page
from .session import WRITE_ERRORS, ArchiveSession, CrawlSession
from .store import PoorerThanArchived, Source, content_hash
from .times import iso
from .urls import CANONICAL_SITE, canonical_url, post_id_from_url
from .workers import WorkerPool, auto_workers

logger = logging.getLogger(__name__)
GONE_STATUSES = (404, 410)
SLOW_WRITE_SECONDS = 2.0  # a write that took this long waited for someone else's lock: say so


def crawl_workers(settings: Settings) -> int:
    """``ITP6_WORKERS``: worker processes for extraction and segmentation; 0 runs them in the crawl's
    process (the polite default: a page every two seconds leaves that process idle), ``auto`` one per
    CPU but one (``--local``, where pages come as fast as they are processed)."""
    value = settings.get("ITP6_WORKERS") or 0
    if value == "auto":
        return auto_workers()
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"ITP6_WORKERS must be a number of processes or 'auto', got {value!r}") from None


_WORKER_POOLS: weakref.WeakKeyDictionary[Crawler, WorkerPool] = weakref.WeakKeyDictionary()


def worker_pool(crawler: Crawler) -> WorkerPool:
    """The crawl's worker pool, closed when the spider is."""
    pool = _WORKER_POOLS.get(crawler)
    if pool is None:
        pool = _WORKER_POOLS[crawler] = WorkerPool(crawl_workers(crawler.settings))
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
    return pool


@runtime_checkable
class FollowsLinks(Protocol):
    """A spider that requests the post links the extract pipeline reads from a page (``Itp6Spider``)."""

    def follow(self, urls: list[str], referer: str) -> None: ...


class ExtractPipeline:
    """Page bytes -> Article and its search columns: theme rules (generic fallback when the theme is not
    recognised), the site's URLs rebased on the canonical origin whatever server the page came from, and
    jieba-compatible segmentation with the medical user dictionary.

    The page is parsed here, once (:func:`~itp6crawl.reading.read_page`), in a worker process when the
    crawl has them: the same parse gives the post links the spider follows (its related posts and
    neighbours), handed to ``spider.follow``. Extraction and segmentation are one call, so a page crosses
    to a worker and back once (two round trips cost 7% of a local crawl's time)."""

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
        return cls(crawler.stats, CrawlSession.of(crawler).canonical_site, worker_pool(crawler), crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        if item.failure or item.status != 200 or self._incomplete(item):
            return item
        try:
            reading = await self.workers.run(read_page, item.body, item.url, self._options(item))
        except Exception as error:  # a bug or a dead worker must not stop the crawl: the page is a failure
            return self._crashed(item, error)
        if reading.followed and isinstance(spider := self._spider(), FollowsLinks):
            spider.follow(reading.followed, item.url)
        return self.apply(item, reading)

    def extract(self, item: PageItem) -> PageItem:
        """:meth:`process_item` in this process and without following links (``reindex`` replays)."""
        if item.failure or item.status != 200 or self._incomplete(item):
            return item
        try:
            reading = read_page(item.body, item.url, self._options(item))
        except Exception as error:
            return self._crashed(item, error)
        return self.apply(item, reading)

    def _incomplete(self, item: PageItem) -> bool:
        """A page cut short (:func:`~itp6crawl.completeness.document_problem`) is a failure, never read:
        storing the start of an article as the article would lose the rest, its comments among it."""
        problem = document_problem(item.body)
        if problem is not None:
            item.failure = problem
            self.stats.inc_value("itp6/incomplete_pages")
        return problem is not None

    def _options(self, item: PageItem) -> ExtractOptions:
        return ExtractOptions(
            fetched_at=item.fetched_at, header_charset=item.charset, canonical_site=self.canonical_site
        )

    def _spider(self) -> Spider | None:
        try:
            return self.crawler.spider if self.crawler is not None else None
        except RuntimeError:  # Scrapy's "not set yet": a pipeline driven outside a crawl
            return None

    def _crashed(self, item: PageItem, error: Exception) -> PageItem:
        logger.error("Extraction crashed on %s", item.url, exc_info=error)  # a worker's traceback is chained
        item.failure = f"extraction crashed: {type(error).__name__}: {error}"
        return item

    def apply(self, item: PageItem, reading: PageReading) -> PageItem:
        """Put what reading the page found on ``item``: its article and search columns, or its failure;
        count the extractor."""
        article = reading.article
        if article is None:
            item.failure = f"extraction failed: {reading.error}"
            return item
        self.stats.inc_value(f"itp6/extractor/{article.extractor}")
        if article.extractor == "fallback":
            logger.warning("Theme rules did not match %s (%s)", item.url, "; ".join(article.warnings))
        item.article, item.segments = article, reading.segments
        return item


class StorePipeline:
    """Article -> SQLite: upsert with versions, links, comments; crawl state for every article response;
    gone marks; failures. The run row is the session's."""

    def __init__(
        self,
        session: ArchiveSession,
        stats: StatsCollector,
        crawler: Crawler | None = None,
        *,
        commit_seconds: float = 0.0,
    ) -> None:
        self.session = session
        self.stats = stats
        self.crawler = crawler
        self.commit_seconds = commit_seconds
        self._batch_started: float | None = None
        self._commit_later = CallLaterOnce(self._commit_when_idle)
        # The counts of the open batch (stat -> n), added to the stats when it commits, dropped when a
        # write error rolls it back: the run row counts what the archive holds, never more.
        self._uncommitted: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        commit_seconds = crawler.settings.getfloat("ITP6_COMMIT_SECONDS", 0.0)
        return cls(CrawlSession.of(crawler), crawler.stats, crawler, commit_seconds=commit_seconds)

    def close_spider(self) -> None:
        self._commit_later.cancel()
        try:
            self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, "committing the last articles")

    def open_spider(self) -> None:
        if self.crawler is not None and isinstance(self.session, CrawlSession):
            site = getattr(self.crawler.spider, "site", self.crawler.settings.get("ITP6_SITE"))
            self.session.open(site)

    def process_item(self, item: PageItem) -> PageItem:
        if self.session.archive is None or self.session.error is not None:
            return item  # the crawl is stopping after a write error: this page is fetched again next run
        started = time.monotonic()
        try:
            self._begin_batch()
            self.store(item)
            if self._batch_started is not None and time.monotonic() - self._batch_started >= self.commit_seconds:
                self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, f"storing {item.url}")
        waited = time.monotonic() - started
        if waited >= SLOW_WRITE_SECONDS:  # another process held the archive's write lock (busy_timeout 30 s)
            self.stats.inc_value("itp6/slow_writes")
            logger.warning("Waited %.1f s to write %s: another process was writing to the archive", waited, item.url)
        return item

    def _begin_batch(self) -> None:
        """With ``commit_seconds`` (``ITP6_COMMIT_SECONDS``), the articles stored within that time share
        one transaction: one commit, and one FTS5 segment, for many articles costs 40% less a save than
        one each. Every article is still a savepoint of its own, saved whole or not at all; a crawl
        killed meanwhile loses the batch together with its crawl state, so the next run fetches those
        pages again. Readers see the batch when it commits, at most that long after its first article."""
        archive = self.session.archive
        if not self.commit_seconds or archive is None or archive.db.conn.in_transaction:
            return
        archive.db.execute("BEGIN IMMEDIATE")  # waits out another writer, as any write does
        self._batch_started = time.monotonic()
        with contextlib.suppress(RuntimeError):  # no reactor (outside a crawl): a later item or close commits
            self._commit_later.schedule(self.commit_seconds)

    def commit(self) -> None:
        """Commit the open batch, if any, and count what it stored."""
        self._batch_started = None
        archive = self.session.archive
        if archive is not None and archive.db.conn.in_transaction:
            archive.db.conn.commit()
        elif self._uncommitted:  # SQLite rolled the batch back itself (it may, on a full disk or I/O error)
            self._drop_batch()
            return
        for key, count in self._uncommitted.items():
            self.stats.inc_value(key, count)
        self._uncommitted.clear()

    def _commit_when_idle(self) -> None:
        """The timer's commit: no item came to commit the batch in time (a polite crawl, the last page)."""
        try:
            self.commit()
        except WRITE_ERRORS as error:
            self._write_failed(error, "committing stored articles")

    def _write_failed(self, error: BaseException, context: str) -> None:
        """A write error: roll the open batch back, as SQLite advises after a full disk or an I/O error
        (it may have rolled back only the failed statement), and stop the crawl. The batch's pages are
        fetched again by the next run, as after a kill; the batches committed before stay, counted."""
        archive = self.session.archive
        if archive is not None and archive.db.conn.in_transaction:
            with contextlib.suppress(*WRITE_ERRORS):  # already rolled back by SQLite: nothing to undo
                archive.db.conn.rollback()
        self._batch_started = None
        self._drop_batch()
        self.session.fail(error, context)

    def _drop_batch(self) -> None:
        dropped = self._uncommitted.total()
        self._uncommitted.clear()
        if dropped:
            logger.warning("Rolled back the uncommitted batch of %d pages: the next run fetches them again", dropped)

    def _count(self, key: str) -> None:
        """Count ``key`` when what it counts is committed: now, or with the open batch."""
        archive = self.session.archive
        if archive is not None and archive.db.conn.in_transaction:
            self._uncommitted[key] += 1
        else:
            self.stats.inc_value(key)

    def store(self, item: PageItem) -> None:
        archive = self.session.archive
        assert archive is not None
        url = canonical_url(item.url, self.session.canonical_site)
        state: dict[str, Any] = {"status": item.status, "post_id": post_id_from_url(url)}
        if item.status in (200, 304):
            state.update(
                fetched_at=iso(item.fetched_at),
                etag=item.header("ETag"),
                last_modified=item.header("Last-Modified"),
            )
            state["in_sitemap"] = int(item.in_sitemap)
            if item.sitemap_lastmod:
                state["sitemap_lastmod"] = item.sitemap_lastmod
            if item.warc:
                state.update(warc_file=item.warc[0], warc_offset=item.warc[1])
        if item.status == 304 and not item.failure:
            archive.state.record(url, **state)
            self._count("itp6/articles_not_modified")
            return
        if item.status in GONE_STATUSES and state["post_id"] is not None and not item.failure:
            if archive.articles.get(state["post_id"]) is not None:
                if archive.articles.mark_gone(state["post_id"], item.fetched_at):
                    self._count("itp6/articles_gone")
                    logger.info("Gone from the site: %s (HTTP %s); the archived article is kept", url, item.status)
                archive.state.record(url, **state)
                return
            item.failure = f"HTTP {item.status}"
        if item.article is not None and item.segments is not None and not item.failure and self.save(item, url, state):
            return
        reason = item.failure or "nothing extracted"
        logger.warning("Not archived: %s (%s)", item.url, reason)
        archive.runs.record_failure(self.session.run_id, url, reason, item.fetched_at, item.status)
        self._count("itp6/failures")

    def save(self, item: PageItem, url: str, state: dict[str, Any]) -> bool:
        """Store the article of ``item``; False (with ``item.failure`` set) when it was refused."""
        archive = self.session.archive
        assert archive is not None and item.article is not None and item.segments is not None
        digest = content_hash(item.article)
        stored = archive.articles.get(item.article.id) if item.article.id is not None else None
        if stored is not None and stored["content_hash"] == digest and stored["status"] == "live":
            outcome = "unchanged"  # nothing to write but the state (views and likes are not content)
            archive.state.record(url, content_hash=digest, **state)
        else:

            def write_state(outcome: str) -> None:  # in the article's transaction
                changed = {"changed_at": iso(item.fetched_at)} if outcome != "unchanged" else {}
                archive.state.write(url, content_hash=digest, **state, **changed)

            try:
                outcome = archive.articles.save(
                    item.article, item.segments, item.fetched_at, _source(item), write_state
                )
            except PoorerThanArchived as error:
                item.failure = f"poorer than the archived version, kept it: {error}"
                return False
            except (ValueError, sqlite3.IntegrityError) as error:  # e.g. a URL another post already has
                item.failure = f"store refused: {error}"
                return False
        item.outcome = outcome
        self._count(f"itp6/articles_{outcome}")
        return True


def _source(item: PageItem) -> Source | None:
    return Source(*item.warc) if item.warc else None
