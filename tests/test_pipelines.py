from __future__ import annotations

import logging

import pytest
import sqlite_utils
from scrapy.utils.test import get_crawler

from itp6crawl.items import PageItem
from itp6crawl.pipelines import ExtractPipeline, SegmentPipeline, StorePipeline
from itp6crawl.replica import DEFAULT_NOW, build_site, rename_theme_classes
from itp6crawl.spiders.itp6 import Itp6Spider

BASE = "https://www.itp6.com"


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=6, seed=2)


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(Itp6Spider, {"ITP6_DB": str(tmp_path / "a.db")})
    crawler.spider = Itp6Spider.from_crawler(crawler, site=BASE)
    crawler.stats.open_spider()
    return crawler


def page(site, spec, body: bytes | None = None) -> PageItem:
    return PageItem(
        url=spec.url(BASE),
        request_url=spec.url(BASE),
        status=200,
        fetched_at=DEFAULT_NOW,
        body=body if body is not None else site.render(spec.path, BASE)[2],
        charset="UTF-8",
    )


def test_extract_then_segment(site, crawler):
    spec = site.articles[0]
    item = SegmentPipeline().process_item(ExtractPipeline(crawler).process_item(page(site, spec)))
    assert item.article is not None and item.article.id == spec.id and item.failure is None
    assert item.segments is not None and item.segments.title_seg and item.segments.body_seg
    assert crawler.stats.get_value("itp6/extractor/theme") == 1


def test_fallback_is_counted_and_warned(site, crawler, caplog):
    spec = site.articles[1]
    html = rename_theme_classes(site.render(spec.path, BASE)[2].decode()).encode()
    with caplog.at_level(logging.WARNING, logger="itp6crawl.pipelines"):
        item = ExtractPipeline(crawler).process_item(page(site, spec, html))
    assert item.article is not None and item.article.extractor == "fallback"
    assert crawler.stats.get_value("itp6/extractor/fallback") == 1
    assert "Theme rules did not match" in caplog.text


def test_extraction_failure_flows_to_the_store_as_a_failure(site, crawler):
    item = ExtractPipeline(crawler).process_item(page(site, site.articles[2], b""))
    assert item.article is None and item.failure == "extraction failed: empty document"
    assert SegmentPipeline().process_item(item).segments is None


def test_store_records_articles_failures_and_the_run(site, crawler, tmp_path):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    good = SegmentPipeline().process_item(ExtractPipeline(crawler).process_item(page(site, site.articles[3])))
    store.process_item(good)
    bad = PageItem(
        url=f"{BASE}/1.html", request_url=f"{BASE}/1.html", status=404, fetched_at=DEFAULT_NOW, failure="HTTP 404"
    )
    store.process_item(bad)
    store.spider_closed(crawler.spider, "finished")
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert db.table("articles").count == 1
    (failure,) = db.table("failures").rows
    assert (failure["url"], failure["status"], failure["reason"]) == (f"{BASE}/1.html", 404, "HTTP 404")
    (run,) = db.table("crawl_runs").rows
    assert (run["finish_reason"], run["pages"], run["articles_new"], run["failures"]) == ("finished", 2, 1, 1)
