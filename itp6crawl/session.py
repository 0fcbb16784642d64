"""One crawl's hold on the archive, shared by the spider, the middlewares and the pipelines.

A :class:`CrawlSession` belongs to one Scrapy crawler (``CrawlSession.of(crawler)``). It takes the
archive's lock (unless the runner already holds it), opens the archive, begins the run row, opens
the run's WARC file, and at the end writes the run row from Scrapy's stats, the only counters. A
write error anywhere (disk full, I/O error, a lock held too long) stops the crawl as *failed*: an
archive is trusted only if a fault never costs a record silently.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from . import counters
from .counters import ARTICLES_SEEN, RESPONSES, count, run_counts
from .exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .store import Archive, ArchiveLock
from .times import CST
from .warc import WarcFile, run_file_name, warc_dir_of, warc_identity
from .workers import WorkerPool, worker_count

logger = logging.getLogger(__name__)

# The close reason of a run that reached ITP6_MAX_ARTICLES (--max-articles); see limits.RunLimits.
MAX_ARTICLES = "max_articles"
# The errors that mean the archive cannot be written: stop, never go on losing records.
WRITE_ERRORS = (OSError, sqlite3.OperationalError, sqlite3.DatabaseError)


class CrawlSession:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = Path(settings.get("ITP6_DB"))
        self.canonical_site: str = settings.get("ITP6_CANONICAL_SITE")
        self.full: bool = settings.getbool("ITP6_FULL")
        warc_dir = settings.get("ITP6_WARC_DIR") or warc_dir_of(self.path)
        self.warc_dir: Path | None = Path(warc_dir) if settings.getbool("ITP6_WARC") else None
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.previous_complete = False
        self.error: str | None = None
        self.result: dict[str, Any] | None = None
        self._lock: ArchiveLock | None = None
        self._reserve: Path | None = None  # space kept free for the run's last row (see _reserve_space)
        self._warc: WarcFile | None = None
        self._workers: WorkerPool | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlSession:
        """The session of ``crawler``, made on first use."""
        session = getattr(crawler, "_itp6_session", None)
        if session is None:
            session = cls(crawler)
            crawler._itp6_session = session  # type: ignore[attr-defined]
        return session

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    # -- lifecycle -------------------------------------------------------------------------------------

    def open(self, site: str) -> Archive:
        """Lock (unless the runner holds the lock), open the archive and begin the run row."""
        if self.archive is not None:
            return self.archive
        if not self.crawler.settings.getbool("ITP6_LOCK_HELD"):
            self._lock = ArchiveLock(self.path).acquire()
        self.archive = Archive.open(self.path)
        lock = self._lock or ArchiveLock.held(self.path)
        if lock is not None:  # a first run has just created the file: lock it too, against hard links
            lock.cover_database()
        self.run_id = self.archive.runs.begin(site, datetime.now(CST), full=self.full)
        self._reserve = _reserve_space(self.path)
        self.previous_complete = self.archive.runs.previous_complete(self.run_id)
        self.stats.set_value(counters.RUN_ID, self.run_id)
        logger.info("Archiving into %s (run %s, %s)", self.path, self.run_id, "full" if self.full else "incremental")
        return self.archive

    def warc(self) -> WarcFile | None:
        """The run's WARC file, opened on first use (None when WARC writing is off)."""
        if self.warc_dir is None or self.run_id is None:
            return None
        if self._warc is None:
            assert self.archive is not None
            identity = self.archive.identity()
            name = run_file_name(identity.name, identity.archive_id, self.run_id)
            self._warc = WarcFile.open(self.warc_dir / name, warc_identity(identity, self.run_id))
        return self._warc

    def workers(self) -> WorkerPool:
        """The crawl's worker processes for extraction and segmentation (``ITP6_WORKERS``), started on
        first use and stopped when the spider closes."""
        if self._workers is None:
            self._workers = WorkerPool(worker_count(self.crawler.settings.get("ITP6_WORKERS")))
            self.crawler.signals.connect(self._workers.close, signal=signals.spider_closed)
        return self._workers

    def fail(self, error: BaseException, context: str) -> None:
        """A write failed: record why and stop the crawl; the records written so far stay."""
        if self.error is None:
            self.error = f"{context}: {type(error).__name__}: {error}"
            logger.error("Stopping the crawl: %s", self.error)
            try:
                engine = self.crawler.engine
            except RuntimeError:  # no engine (a pipeline driven outside a crawl): nothing to stop
                return
            if engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason="failed"))

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        stats = self.stats.get_stats()
        counts = run_counts(stats)
        finish_reason, exit_status = self._outcome(reason, stats)
        warc_file = None
        try:
            if self._warc is not None:
                warc_file = self._warc.name
                self._warc.close()
        except OSError as error:
            self.error = self.error or f"closing the WARC file: {error}"
            finish_reason, exit_status = "failed", EXIT_FAILED
        self.stats.set_value(counters.EXIT_STATUS, exit_status)
        if exit_status == EXIT_OK:
            self._refresh_search(self.archive)
        finish = {
            "reason": finish_reason,
            "exit_status": exit_status,
            "counts": counts,
            "stats": stats,
            "error": self.error,
            "warc_file": warc_file,
        }
        try:
            try:
                self.result = self.archive.runs.finish(self.run_id, datetime.now(CST), **finish)
            except WRITE_ERRORS:
                if not self._release_reserve():
                    raise
                # The disk was full: the reserved space is free now, for this last row.
                self.result = self.archive.runs.finish(self.run_id, datetime.now(CST), **finish)
        except WRITE_ERRORS as error:
            logger.error("Could not record the end of run %s: %s", self.run_id, error)
            self.result = {"id": self.run_id, "finish_reason": finish_reason, "exit_status": EXIT_FAILED, **counts}
            self.stats.set_value(counters.EXIT_STATUS, EXIT_FAILED)
        finally:
            self.archive.close()
            self.archive = None
            self._release_reserve()
            if self._lock is not None:
                self._lock.release()

    def end_unclosed(self, *, stopping: bool) -> None:
        """End a run whose spider never closed: Scrapy stopped the reactor at once, on a second Ctrl-C
        or SIGTERM (``stopping``: a stop had been asked) or after an error of its own. The batch the
        store had not committed is rolled back (its counts were never added to the stats) and the run
        row is written as for a closed spider: ``interrupted`` (exit 4) after a signal, else ``failed``."""
        if self.archive is None or self.result is not None:
            return
        if self.archive.db.conn.in_transaction:
            with contextlib.suppress(*WRITE_ERRORS):
                self.archive.db.conn.rollback()
        if not stopping:
            self.error = self.error or "the crawl stopped before its spider closed"
        logger.warning("The crawl stopped at once: recording run %s with what was committed", self.run_id)
        self.spider_closed(None, "shutdown" if stopping else "failed")

    def _release_reserve(self) -> bool:
        """Delete the reserve file; True when there was one to free."""
        reserve, self._reserve = self._reserve, None
        if reserve is None:
            return False
        reserve.unlink(missing_ok=True)
        return True

    @staticmethod
    def _refresh_search(archive: Archive) -> None:
        """Rebuild the search top lists if the crawl changed the index. A failure loses nothing: searches
        rank every match (slower, same results) until a later run rebuilds them."""
        logger.info("Refreshing the search top lists (if the index changed)")
        try:
            built = archive.refresh_search()
        except WRITE_ERRORS as error:
            logger.warning("Search top lists not refreshed: %s", error)
            return
        if built is not None:
            logger.info("Search top lists %s", built)

    def _outcome(self, reason: str, stats: dict[str, Any]) -> tuple[str, int]:
        """The run's finish_reason and exit status from Scrapy's close reason and stats. A run ended by one
        of its limits (Scrapy's ``closespider_*``, ``max_articles``) finished: exit 0, the limit as its
        finish_reason (and, not being ``finished``, the next run reads every listing again)."""
        if self.error is not None:
            return "failed", EXIT_FAILED
        if reason == "shutdown":
            return "interrupted", EXIT_INTERRUPTED
        limited = ended_by_limit(reason)
        if reason != "finished" and not limited:
            return reason, EXIT_FAILED
        if not count(stats, RESPONSES):
            self.error = "no page could be fetched"
            return "failed", EXIT_FAILED
        if limited:
            return reason, EXIT_OK
        seen = sum(count(stats, key) for key in ARTICLES_SEEN)
        if not seen:
            self.error = "no article was archived: blocked, or no links to posts found (see failures)"
            return "failed", EXIT_FAILED
        return "finished", EXIT_OK


def ended_by_limit(reason: str) -> bool:
    """Whether a spider closed for ``reason`` reached a limit of the run (finished, exit 0)."""
    return reason.startswith("closespider_") or reason == MAX_ARTICLES


RESERVE_BYTES = 128 * 1024  # dozens of WAL frames: the run row, its stats JSON and their index pages


def _reserve_space(db: Path) -> Path | None:
    """Hold ``RESERVE_BYTES`` of disk beside the archive for the whole run, so that when the disk fills
    mid-crawl, freeing it lets the run's row record how the run ended. None if it cannot be written."""
    reserve = Path(f"{db}.reserve")
    try:
        with reserve.open("wb") as handle:
            handle.write(bytes(RESERVE_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        reserve.unlink(missing_ok=True)
        return None
    return reserve
