"""Conditional requests from the archive's crawl state, and WARC capture of every response."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import project_crawler
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from itp6crawl.middlewares import FETCHED_AT, KIND, LASTMOD, WARC, ConditionalRequestMiddleware, WarcMiddleware
from itp6crawl.session import CrawlSession
from itp6crawl.spiders.itp6 import Itp6Spider
from itp6crawl.times import CST
from itp6crawl.warc import iter_responses, warc_files, warcinfo_of

SITE = "http://127.0.0.1:8123"
URL = f"{SITE}/16001.html"
KEY = "https://www.itp6.com/16001.html"


@pytest.fixture
def crawler(tmp_path):
    crawler = project_crawler(Itp6Spider, {"ITP6_DB": str(tmp_path / "itp6.db")})
    crawler.stats.open_spider()
    session = CrawlSession.of(crawler)
    session.open(SITE)
    yield crawler
    session.spider_closed(None, "finished")


def article(lastmod: str | None = None) -> Request:
    return Request(URL, meta={KIND: "article", **({LASTMOD: lastmod} if lastmod else {})})


def remember(crawler, **state) -> None:
    CrawlSession.of(crawler).archive.state.record(KEY, **state)


def test_unknown_pages_go_out_unconditionally(crawler):
    request = article("2024-06-01T00:00:00+00:00")
    ConditionalRequestMiddleware(crawler).process_request(request)
    assert b"If-None-Match" not in request.headers and b"If-Modified-Since" not in request.headers


def test_stored_validators_make_a_conditional_request(crawler):
    remember(crawler, status=200, etag='"abc"', last_modified="Sun, 02 Jun 2024 15:10:00 GMT")
    request = article()
    ConditionalRequestMiddleware(crawler).process_request(request)
    assert request.headers[b"If-None-Match"] == b'"abc"'
    assert request.headers[b"If-Modified-Since"] == b"Sun, 02 Jun 2024 15:10:00 GMT"


def test_a_lastmod_not_newer_than_at_the_last_fetch_skips_the_request(crawler):
    remember(crawler, status=200, etag='"abc"', sitemap_lastmod="2024-06-02T15:10:00+00:00")
    with pytest.raises(IgnoreRequest):
        ConditionalRequestMiddleware(crawler).process_request(article("2024-06-02T15:10:00+00:00"))
    assert crawler.stats.get_value("itp6/skipped_lastmod") == 1
    newer = article("2024-06-03T08:00:00+00:00")
    ConditionalRequestMiddleware(crawler).process_request(newer)  # newer: asked, conditionally
    assert newer.headers[b"If-None-Match"] == b'"abc"'


def test_full_crawls_and_failed_pages_ignore_the_state(crawler):
    remember(crawler, status=500, etag='"abc"')
    request = article()
    ConditionalRequestMiddleware(crawler).process_request(request)
    assert b"If-None-Match" not in request.headers
    remember(crawler, status=200)
    CrawlSession.of(crawler).full = True
    ConditionalRequestMiddleware(crawler).process_request(article("2000-01-01T00:00:00+00:00"))  # not skipped


def test_responses_are_counted_from_the_network(crawler):
    middleware = ConditionalRequestMiddleware(crawler)
    middleware.process_response(article(), Response(URL, status=304))
    middleware.process_response(article(), Response(URL, status=200))
    assert (crawler.stats.get_value("itp6/not_modified"), crawler.stats.get_value("itp6/fetched")) == (1, 1)


def test_every_response_is_written_to_the_runs_warc_file(crawler, tmp_path):
    middleware = WarcMiddleware(crawler)
    body = "<html><body>血小板</body></html>".encode()
    request = article()
    middleware.process_response(request, HtmlResponse(URL, body=body, headers={"ETag": '"v1"'}, request=request))
    revalidated = article()
    middleware.process_response(revalidated, Response(URL, status=304, request=revalidated))
    session = CrawlSession.of(crawler)
    identity = session.archive.identity()
    assert request.meta[WARC][0] == f"{session.path.stem}-{identity.short}-{session.run_id}.warc.gz"
    info = warcinfo_of(tmp_path / "warc" / request.meta[WARC][0])
    assert info["itp6crawl-archive-id"] == identity.archive_id and info["itp6crawl-run"] == str(session.run_id)
    assert isinstance(request.meta[FETCHED_AT], datetime) and request.meta[FETCHED_AT].tzinfo == CST
    CrawlSession.of(crawler).warc().flush()
    records = list(iter_responses(warc_files(tmp_path / "warc")))
    assert [(r.record_type, r.status, r.body) for r in records] == [("response", 200, body), ("revisit", 304, b"")]
    assert records[0].offset == request.meta[WARC][1]
