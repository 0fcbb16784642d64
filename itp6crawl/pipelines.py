"""Item pipelines, in order: extract -> segment -> store.

A page that cannot be archived keeps its ``failure`` reason and flows on to StorePipeline, which
records it in ``failures``: the crawl never stops for one bad page, and nothing archived is lost.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from .extract import ExtractionError, extract_article
from .items import PageItem
from .models import CST
from .store import Archive, Segments
from .text import default_segmenter

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Page bytes -> Article (theme rules, generic fallback when the theme is not recognised)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def process_item(self, item: PageItem) -> PageItem:
        if item.failure:
            return item
        try:
            article = extract_article(item.body, item.url, fetched_at=item.fetched_at, header_charset=item.charset)
        except ExtractionError as error:
            item.failure = f"extraction failed: {error}"
            return item
        except Exception as error:  # a bug must not stop the crawl; the page is recorded as failed
            logger.exception("Extraction crashed on %s", item.url)
            item.failure = f"extraction crashed: {type(error).__name__}: {error}"
            return item
        if article.id is None:
            item.failure = "extraction failed: no post id in the page or its URL"
            return item
        self.stats.inc_value(f"itp6/extractor/{article.extractor}")
        if article.extractor == "fallback":
            logger.warning("Theme rules did not match %s (%s)", item.url, "; ".join(article.warnings))
        item.article = article
        return item


class SegmentPipeline:
    """Article -> search columns (jieba-compatible tokens with the medical user dictionary)."""

    def __init__(self) -> None:
        self.segmenter = default_segmenter()

    def process_item(self, item: PageItem) -> PageItem:
        article = item.article
        if article is None:
            return item
        seg = self.segmenter
        metadata = " ".join(
            [
                article.summary,
                article.author,
                article.credit,
                *article.categories,
                *article.tags,
                *(image.caption or image.alt for image in article.images),
            ]
        )
        title_tokens, body_tokens = seg.tokens(article.title), seg.tokens(article.body_text)
        # Title and body are segmented apart (a newline joins them), so their precise tokens are the text's.
        extra = seg.extra_text(f"{article.title}\n{article.body_text}", precise_tokens=title_tokens + body_tokens)
        item.segments = Segments(
            title_seg=" ".join(title_tokens),
            body_seg=" ".join(body_tokens),
            search_extra=f"{extra} {seg.index_text(metadata)}".strip(),
        )
        return item


class StorePipeline:
    """Article -> SQLite: upsert with versions, links, comments; one crawl_runs row per run."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = Path(crawler.settings.get("ITP6_DB"))
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.counts = {
            "pages": 0,
            "articles_new": 0,
            "articles_changed": 0,
            "articles_unchanged": 0,
            "failures": 0,
            "fallbacks": 0,
        }
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.archive = Archive.open(self.path)
        site = getattr(self.crawler.spider, "site", self.crawler.settings.get("ITP6_SITE"))
        self.run_id = self.archive.begin_run(site, datetime.now(CST))
        logger.info("Archiving into %s (run %s)", self.path, self.run_id)

    def process_item(self, item: PageItem) -> PageItem:
        assert self.archive is not None
        self.counts["pages"] += 1
        if item.article is not None and item.segments is not None and not item.failure:
            try:
                outcome = self.archive.save_article(item.article, item.segments, item.fetched_at)
            except Exception as error:  # e.g. a canonical URL another post already has
                logger.exception("Could not store %s", item.url)
                item.failure = f"store failed: {type(error).__name__}: {error}"
            else:
                self.counts[f"articles_{outcome}"] += 1
                self.counts["fallbacks"] += item.article.extractor == "fallback"
                self.crawler.stats.inc_value(f"itp6/articles_{outcome}")
                return item
        reason = item.failure or "nothing extracted"
        self.counts["failures"] += 1
        self.crawler.stats.inc_value("itp6/failures")
        logger.warning("Not archived: %s (%s)", item.url, reason)
        self.archive.record_failure(self.run_id, item.url, reason, item.fetched_at, item.status)
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        if self.counts["fallbacks"]:
            logger.warning(
                "%d of %d pages used the generic fallback: has the site's theme changed?",
                self.counts["fallbacks"],
                self.counts["pages"],
            )
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        self.archive.finish_run(self.run_id, datetime.now(CST), reason, self.counts, stats)
        self.archive.close()
        self.archive = None
