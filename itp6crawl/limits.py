"""A run's limits: what ends a crawl early as *finished* (exit 0), and what each counts (:class:`RunLimits`).

Scrapy glue, like the middlewares and pipelines: a downloader middleware that does not request posts last
modified before ``--since`` (:class:`SinceMiddleware`), and two item pipelines around the store, one that
drops what a limit leaves out (:class:`LimitGate`) and one that counts what the store wrote and ends the
run at ``--max-articles`` (:class:`LimitCount`). Each switches itself off when the run has no such limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from . import counters
from .items import PageItem
from .middlewares import KIND, LASTMOD
from .session import MAX_ARTICLES
from .times import CST, parse_iso

logger = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d"  # --since and ITP6_SINCE


def _moment(text: str | None) -> datetime | None:
    """A sitemap lastmod or an article's published_at as an aware datetime (China time when it names no
    offset); None when there is none or it cannot be read."""
    return parse_iso(str(text)) if text else None


@dataclass(slots=True)
class RunLimits:
    """What ends a run early, as finished (exit 0), and what each counts:

    - ``ITP6_MAX_ARTICLES`` (``--max-articles N``): articles the store wrote new or changed in this run,
      as the run row counts them (``articles_new + articles_changed``). The one that makes N closes the
      spider (finish_reason ``max_articles``); no page after it is stored, so never more than N.
    - ``ITP6_SINCE`` (``--since DATE``, China time): a post whose sitemap ``lastmod`` is before DATE is not
      requested (it cannot have been published after), and an article published before DATE is never
      stored (``itp6/skipped_since``); the run itself ends as any run does. An article without a
      publication date is stored.
    - ``CLOSESPIDER_ITEMCOUNT``: article pages that reached the store (archived, unchanged, not modified,
      gone, or recorded as failures), Scrapy's ``item_scraped``; pages downloaded past the count are not
      stored, so it is exact (Scrapy alone stored whatever was under way: 76 articles for 10).
    - Scrapy's other ``CLOSESPIDER_*`` close the spider as Scrapy does (``PAGECOUNT``: responses received,
      robots.txt and sitemaps included; ``TIMEOUT``: seconds since the spider opened; ``ERRORCOUNT``:
      errors raised in the spider's callbacks); the pages under way are still stored.

    A page left out by a limit leaves no crawl state, so the next run fetches it; a run ended by a limit
    is not complete, so the next one reads every listing again (as after an interrupted run)."""

    since: datetime | None = None
    max_articles: int = 0
    max_items: int = 0
    items: int = 0  # pages let through to the store
    articles: int = 0  # articles the store wrote new or changed

    @classmethod
    def of(cls, crawler: Crawler) -> RunLimits:
        limits = getattr(crawler, "_itp6_limits", None)
        if limits is None:
            settings = crawler.settings
            since = settings.get("ITP6_SINCE")
            limits = cls(
                since=datetime.strptime(since, DATE_FORMAT).replace(tzinfo=CST) if since else None,
                max_articles=settings.getint("ITP6_MAX_ARTICLES"),
                max_items=settings.getint("CLOSESPIDER_ITEMCOUNT"),
            )
            crawler._itp6_limits = limits  # type: ignore[attr-defined]
        return limits

    @property
    def reached(self) -> bool:
        return bool(self.max_articles and self.articles >= self.max_articles) or bool(
            self.max_items and self.items >= self.max_items
        )

    def published_before(self, published_at: str | None) -> bool:
        published = _moment(published_at)
        return self.since is not None and published is not None and published < self.since


class SinceMiddleware:
    """Downloader middleware: with ``ITP6_SINCE``, a post whose sitemap lastmod is before that date is not
    requested (the spider takes the IgnoreRequest as a skip, not a failure)."""

    def __init__(self, crawler: Crawler, since: datetime) -> None:
        self.crawler = crawler
        self.since = since

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SinceMiddleware:
        since = RunLimits.of(crawler).since
        if since is None:
            raise NotConfigured
        return cls(crawler, since)

    def process_request(self, request: Request) -> None:
        if request.meta.get(KIND) != "article":
            return
        lastmod = _moment(request.meta.get(LASTMOD))
        if lastmod is not None and lastmod < self.since:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(counters.SKIPPED_SINCE)
            raise IgnoreRequest(f"last modified before --since (sitemap lastmod): {request.url}")


class LimitGate:
    """Item pipeline before the store: drops what a limit leaves out. Off when the run has no limit it keeps."""

    def __init__(self, crawler: Crawler, limits: RunLimits) -> None:
        self.crawler = crawler
        self.limits = limits

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitGate:
        limits = RunLimits.of(crawler)
        if not (limits.since or limits.max_articles or limits.max_items):
            raise NotConfigured
        return cls(crawler, limits)

    def process_item(self, item: PageItem) -> PageItem:
        limits = self.limits
        if limits.reached:
            self._drop(item, counters.LIMIT_DROPPED, "the run's limit is reached; the next run fetches it")
        article = item.article if not item.failure else None
        if article is not None and limits.published_before(article.published_at):
            self._drop(item, counters.SKIPPED_SINCE, f"published {article.published_at}, before --since")
        if limits.max_items:
            limits.items += 1
        return item

    def _drop(self, item: PageItem, stat: str, reason: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat)
        item.body = b""  # Scrapy's DEBUG line shows the item
        raise DropItem(f"Not stored: {item.url}: {reason}", log_level="DEBUG")


class LimitCount:
    """Item pipeline after the store: counts the articles it wrote new or changed (the store's own outcome,
    ``item.outcome``), and closes the spider at ``ITP6_MAX_ARTICLES``."""

    def __init__(self, crawler: Crawler, limits: RunLimits) -> None:
        self.crawler = crawler
        self.limits = limits

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitCount:
        limits = RunLimits.of(crawler)
        if not limits.max_articles:
            raise NotConfigured
        return cls(crawler, limits)

    def process_item(self, item: PageItem) -> PageItem:
        limits = self.limits
        if item.outcome not in ("new", "changed"):
            return item
        limits.articles += 1
        if limits.articles == limits.max_articles:
            logger.info("%d articles archived new or changed (--max-articles): ending the run", limits.articles)
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=MAX_ARTICLES))
        return item
