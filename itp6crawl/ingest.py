"""What each fetched page does to the archive: the crawl's recording rules, without Scrapy.

A fetched page (:class:`~itp6crawl.items.PageItem`, plain data) goes through two steps:

1. :func:`read` (or :func:`readable`, then :func:`~itp6crawl.reading.read_page` wherever the caller
   runs it, then :func:`take_reading`): a page cut short is refused, never read
   (:func:`~itp6crawl.completeness.document_problem`); a whole 200 is extracted, rebased on the
   canonical site and segmented. What it found is a :class:`Reading`.
2. :func:`record`: what the page does to the archive, a :class:`PageOutcome`:

   - a 304: *not modified*, the crawl state only;
   - a 404 or 410 of an archived post: *gone*, the article marked and kept (*still gone* if it was);
   - an article whose content equals the live archived one: *unchanged*, the crawl state and any
     comment not archived yet (views, likes and comments are not content);
   - a new or changed article: *new* or *changed*, saved whole with its previous version, links,
     comments and crawl state, in one transaction;
   - a page that reads much poorer than the archived version (a maintenance page, a broken theme
     update): *poorer*, the archived version kept and a ``failures`` row;
   - anything else (a failure of the fetch or of reading, a page cut short, a write the store refuses,
     a 404 of an unknown post): *failed*, a ``failures`` row and nothing else.

   Neither a poorer nor a failed page writes crawl state, so the next run fetches it again; nothing
   archived is lost.

Pages recorded close together may share one transaction (:class:`Batch`, ``ITP6_COMMIT_SECONDS``). A
crawl's :class:`~itp6crawl.pipelines.StorePipeline` keeps a batch and adds what it committed to Scrapy's
stats; ``reindex`` replays WARC records through the same functions. Each :class:`Reading` and
:class:`PageOutcome` names the counter it moves (:mod:`itp6crawl.counters`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections import Counter
from enum import StrEnum
from typing import Any

from . import counters
from .completeness import document_problem
from .extract import ExtractOptions
from .items import PageItem
from .reading import PageReading, read_page
from .revisit import unbiased
from .store import Archive, PoorerThanArchived, Source, content_hash
from .times import iso
from .urls import CANONICAL_SITE, canonical_url, post_id_from_url

logger = logging.getLogger(__name__)
GONE_STATUSES = (404, 410)


class Reading(StrEnum):
    """What reading a page found."""

    NOT_READ = "not read"  # not a 200, or already failed (the fetch, a limit): nothing to read
    INCOMPLETE = "incomplete"  # cut short: a failure, never read
    FAILED = "failed"  # no article in it, or extraction crashed
    THEME = "theme"  # an article, by the theme's rules
    FALLBACK = "fallback"  # an article, by the generic reader

    @property
    def stat(self) -> str | None:
        return _READING_STATS.get(self)


_READING_STATS = {
    Reading.INCOMPLETE: counters.INCOMPLETE_PAGES,
    Reading.THEME: counters.EXTRACTOR_THEME,
    Reading.FALLBACK: counters.EXTRACTOR_FALLBACK,
}


class PageOutcome(StrEnum):
    """What recording a page did to the archive."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    GONE = "gone"
    STILL_GONE = "still_gone"  # a 404 or 410 of an article already marked gone: the crawl state only
    POORER = "poorer"  # the archived version kept; a failure row says why
    FAILED = "failed"

    @property
    def stat(self) -> str | None:
        return _OUTCOME_STATS.get(self)


_OUTCOME_STATS = {
    PageOutcome.NEW: counters.ARTICLES_NEW,
    PageOutcome.CHANGED: counters.ARTICLES_CHANGED,
    PageOutcome.UNCHANGED: counters.ARTICLES_UNCHANGED,
    PageOutcome.NOT_MODIFIED: counters.ARTICLES_NOT_MODIFIED,
    PageOutcome.GONE: counters.ARTICLES_GONE,
    PageOutcome.POORER: counters.FAILURES,  # a run's "failed" count has always included them
    PageOutcome.FAILED: counters.FAILURES,
}


# -- reading ------------------------------------------------------------------------------------------


def readable(page: PageItem) -> Reading | None:
    """None when ``page`` is a whole article response to read; else why not (a page cut short gets its
    ``failure``: storing the start of an article as the article would lose the rest, comments too)."""
    if page.failure or page.status != 200:
        return Reading.NOT_READ
    problem = document_problem(page.body)
    if problem is not None:
        page.failure = problem
        return Reading.INCOMPLETE
    return None


def reading_options(page: PageItem, canonical_site: str) -> ExtractOptions:
    """What reading ``page`` needs besides its bytes and URL (:func:`~itp6crawl.reading.read_page`)."""
    return ExtractOptions(fetched_at=page.fetched_at, header_charset=page.charset, canonical_site=canonical_site)


def take_reading(page: PageItem, reading: PageReading) -> Reading:
    """Put what reading ``page`` found on it: its article and search columns, or its failure."""
    article = reading.article
    if article is None:
        page.failure = f"extraction failed: {reading.error}"
        return Reading.FAILED
    if article.extractor == "fallback":
        logger.warning("Theme rules did not match %s (%s)", page.url, "; ".join(article.warnings))
    page.article, page.segments = article, reading.segments
    return Reading.FALLBACK if article.extractor == "fallback" else Reading.THEME


def reading_crashed(page: PageItem, error: BaseException) -> Reading:
    """A bug or a dead worker while reading: a failure of this page only, the crawl goes on."""
    logger.error("Extraction crashed on %s", page.url, exc_info=error)  # a worker's traceback is chained
    page.failure = f"extraction crashed: {type(error).__name__}: {error}"
    return Reading.FAILED


def read(page: PageItem, canonical_site: str = CANONICAL_SITE) -> Reading:
    """Read ``page`` here (in this process): whole or refused, then extracted, rebased and segmented."""
    refused = readable(page)
    if refused is not None:
        return refused
    try:
        reading = read_page(page.body, page.url, reading_options(page, canonical_site))
    except Exception as error:
        return reading_crashed(page, error)
    return take_reading(page, reading)


# -- recording ----------------------------------------------------------------------------------------


def record(
    archive: Archive, page: PageItem, *, run_id: int | None, canonical_site: str = CANONICAL_SITE
) -> PageOutcome:
    """Record what ``page`` does to ``archive`` (see the module docstring), and set ``page.outcome``.

    Each write is a transaction of its own, or a savepoint of the caller's open transaction (a crawl
    batches many pages in one). A write error (full disk, I/O) propagates: the caller stops."""
    url = canonical_url(page.url, canonical_site)
    state = crawl_state(page, url)
    outcome = _record(archive, page, url, state, run_id)
    page.outcome = outcome.value
    return outcome


def crawl_state(page: PageItem, url: str) -> dict[str, Any]:
    """The ``crawl_state`` fields a response of ``url`` writes (validators, sitemap facts, WARC place)."""
    state: dict[str, Any] = {"status": page.status, "post_id": post_id_from_url(url)}
    if page.status in (200, 304):
        state.update(
            fetched_at=iso(page.fetched_at),
            etag=page.header("ETag"),
            last_modified=page.header("Last-Modified"),
            in_sitemap=int(page.in_sitemap),
        )
        if page.sitemap_lastmod:
            state["sitemap_lastmod"] = page.sitemap_lastmod
        if page.warc:
            state.update(warc_file=page.warc[0], warc_offset=page.warc[1])
    return state


def _record(archive: Archive, page: PageItem, url: str, state: dict[str, Any], run_id: int | None) -> PageOutcome:
    if page.status == 304 and not page.failure:
        archive.state.record(url, observed=unbiased(page.reason), **state)
        return PageOutcome.NOT_MODIFIED
    post_id = state["post_id"]
    if page.status in GONE_STATUSES and post_id is not None and not page.failure:
        if archive.articles.get(post_id) is not None:
            marked = archive.articles.mark_gone(post_id, page.fetched_at)
            if marked:
                logger.info("Gone from the site: %s (HTTP %s); the archived article is kept", url, page.status)
            archive.state.record(url, **state)
            return PageOutcome.GONE if marked else PageOutcome.STILL_GONE
        page.failure = f"HTTP {page.status}"
    outcome = PageOutcome.FAILED
    if page.article is not None and page.segments is not None and not page.failure:
        outcome = _save(archive, page, url, state)
        if outcome not in (PageOutcome.POORER, PageOutcome.FAILED):
            return outcome
    reason = page.failure or "nothing extracted"
    logger.warning("Not archived: %s (%s)", page.url, reason)
    archive.runs.record_failure(run_id, url, reason, page.fetched_at, page.status)
    return outcome


def _save(archive: Archive, page: PageItem, url: str, state: dict[str, Any]) -> PageOutcome:
    """Store the article of ``page``; *poorer* or *failed* (with ``page.failure`` set) when refused."""
    assert page.article is not None and page.segments is not None
    digest = content_hash(page.article)
    stored = archive.articles.get(page.article.id) if page.article.id is not None else None
    if stored is not None and stored["content_hash"] == digest and stored["status"] == "live":
        # Comments are not content: a new one on an unchanged post is archived all the same.
        def write_unchanged(added: int) -> None:  # in the comments' transaction
            archive.state.write(url, content_hash=digest, **state)
            archive.state.observe(url, compared=unbiased(page.reason), changed=added > 0)

        page.new_comments = archive.articles.add_new_comments(page.article, write_unchanged)
        return PageOutcome.UNCHANGED

    def write_state(outcome: str) -> None:  # in the article's transaction
        changed = {"changed_at": iso(page.fetched_at)} if outcome != "unchanged" else {}
        archive.state.write(url, content_hash=digest, **state, **changed)
        archive.state.observe(url, compared=outcome != "new" and unbiased(page.reason), changed=outcome == "changed")

    source = Source(*page.warc) if page.warc else None
    try:
        return PageOutcome(archive.articles.save(page.article, page.segments, page.fetched_at, source, write_state))
    except PoorerThanArchived as error:
        page.failure = f"poorer than the archived version, kept it: {error}"
        return PageOutcome.POORER
    except (ValueError, sqlite3.IntegrityError) as error:  # e.g. a URL another post already has
        page.failure = f"store refused: {error}"
        return PageOutcome.FAILED


# -- batching -----------------------------------------------------------------------------------------


class Batch:
    """The pages recorded within ``seconds`` of the first share one transaction: one commit, and one FTS5
    segment, for many articles costs 40% less a save than one each (0: each page its own transaction).

    Every page is still a savepoint of its own, recorded whole or not at all; a process killed meanwhile
    loses the batch together with its crawl state, so the next run fetches those pages again. Readers
    see a batch when it commits. The counters of its pages are held until then, and dropped if it is
    rolled back: a run counts what the archive holds, never more."""

    def __init__(self, archive: Archive, seconds: float) -> None:
        self.archive = archive
        self.seconds = seconds
        self.started: float | None = None
        self.pending: Counter[str] = Counter()

    def begin(self) -> bool:
        """Open a batch unless one is open or batching is off; True when this call opened one."""
        if not self.seconds or self.archive.db.conn.in_transaction:
            return False
        self.archive.db.execute("BEGIN IMMEDIATE")  # waits out another writer, as any write does
        self.started = time.monotonic()
        return True

    def record(self, page: PageItem, *, run_id: int | None, canonical_site: str = CANONICAL_SITE) -> PageOutcome:
        """:func:`record` ``page`` with this batch, and count what it did: its outcome, and the comments it
        added to an unchanged article."""
        outcome = record(self.archive, page, run_id=run_id, canonical_site=canonical_site)
        if outcome.stat is not None:
            self.pending[outcome.stat] += 1
        if page.new_comments:
            self.pending[counters.COMMENTS_ADDED] += page.new_comments
        return outcome

    @property
    def due(self) -> bool:
        """Whether to commit now: no batch is open, or the open one is ``seconds`` old."""
        return self.started is None or time.monotonic() - self.started >= self.seconds

    def commit(self) -> Counter[str]:
        """Commit the open batch, if any; the counters of what was recorded since the last commit (none
        when SQLite had rolled the batch back itself, as it may on a full disk or an I/O error)."""
        opened, self.started = self.started is not None, None
        if self.archive.db.conn.in_transaction:
            self.archive.db.conn.commit()
        elif opened and self.pending:
            self.rollback()
            return Counter()
        committed, self.pending = self.pending, Counter()
        return committed

    def rollback(self) -> None:
        """Roll the open batch back (after a write error; SQLite may have rolled back only the failed
        statement) and drop its counters."""
        if self.archive.db.conn.in_transaction:
            with contextlib.suppress(OSError, sqlite3.Error):  # already rolled back by SQLite: nothing to undo
                self.archive.db.conn.rollback()
        self.started = None
        dropped, self.pending = self.pending.total(), Counter()
        if dropped:
            logger.warning("Rolled back the uncommitted batch of %d pages: the next run fetches them again", dropped)
