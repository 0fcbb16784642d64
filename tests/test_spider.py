import asyncio
import inspect
from datetime import datetime, timedelta

import pytest
from conftest import project_crawler
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Headers, HtmlResponse, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from itp6crawl.items import PageItem
from itp6crawl.middlewares import FETCHED_AT, IN_SITEMAP, KIND, LASTMOD, REASON, WARC, RedirectRefused
from itp6crawl.pipelines import ExtractPipeline
from itp6crawl.spiders.itp6 import Itp6Spider, failure_reason
from itp6crawl.store import Archive
from itp6crawl.text import segment_article
from itp6crawl.times import CST, iso
from itp6crawl.urls import CATEGORY_PATH

SITE = "http://127.0.0.1:8123"


@pytest.fixture
def spider():
    crawler = project_crawler(Itp6Spider)
    crawler.stats.open_spider()
    spider = Itp6Spider.from_crawler(crawler, site=SITE + "/")
    spider.started = start(spider)
    return spider


def start(spider) -> list[Request]:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def test_start_asks_robots_then_the_sitemaps_then_the_home_page(spider):
    assert [request.url for request in spider.started] == [f"{SITE}/robots.txt"]
    robots = TextResponse(f"{SITE}/robots.txt", body=f"Sitemap: {SITE}/wp-sitemap.xml\n".encode())
    (sitemap,) = spider.started[0].callback(robots)
    empty = XmlResponse(sitemap.url, body=b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>')
    # Listings come once every sitemap has been read, so each post is first requested with its lastmod.
    assert [r.url for r in spider.parse_sitemap(empty)] == [f"{SITE}/"]


def test_only_post_permalinks_of_this_site_become_articles(spider):
    assert spider.article_request(f"{SITE}/123.html?replytocom=5#respond").url == f"{SITE}/123.html"
    assert spider.article_request(f"{SITE}/weixinqun/") is None
    assert spider.article_request("https://www.example.org/123.html") is None
    assert spider.article_request("http://127.0.0.1:9999/123.html") is None  # another port is another site


def test_bad_site_is_refused():
    crawler = project_crawler(Itp6Spider)
    with pytest.raises(ValueError, match="http"):
        Itp6Spider.from_crawler(crawler, site="ftp://x")


def test_robots_without_sitemap_falls_back_to_wp_sitemap(spider):
    response = TextResponse(f"{SITE}/robots.txt", body=b"User-agent: *\nDisallow: /wp-admin/\n")
    assert [r.url for r in spider.parse_robots(response)] == [f"{SITE}/wp-sitemap.xml"]
    response = TextResponse(f"{SITE}/robots.txt", body=f"Sitemap: {SITE}/wp-sitemap.xml\n".encode())
    assert [r.url for r in spider.parse_robots(response)] == [f"{SITE}/wp-sitemap.xml"]


def test_sitemap_index_and_urlset(spider):
    index = XmlResponse(
        f"{SITE}/wp-sitemap.xml",
        body=f"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{SITE}/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>""".encode(),
    )
    assert [r.url for r in spider.parse_sitemap(index)] == [f"{SITE}/wp-sitemap-posts-post-1.xml"]
    urlset = XmlResponse(
        f"{SITE}/wp-sitemap-posts-post-1.xml",
        body=f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{SITE}/16001.html</loc><lastmod>2024-06-01T00:00:00+08:00</lastmod></url>
<url><loc>{SITE}/16002.html</loc></url>
<url><loc>{SITE}/category/zhiliao/</loc></url>
<url><loc>https://elsewhere.example/1.html</loc></url></urlset>""".encode(),
    )
    requests = list(spider.parse_sitemap(urlset))
    assert [(r.url, r.callback.__name__) for r in requests] == [
        (f"{SITE}/16001.html", "parse_article"),
        (f"{SITE}/16002.html", "parse_article"),
        (f"{SITE}/category/zhiliao", "parse_listing"),
        (f"{SITE}/", "parse_listing"),  # the last sitemap read: the home page comes next
    ]
    assert [r.meta.get("itp6_lastmod") for r in requests] == ["2024-06-01T00:00:00+08:00", None, None, None]
    assert [bool(r.meta.get(IN_SITEMAP)) for r in requests] == [True, True, False, False]


def test_invalid_sitemap_is_counted_not_fatal(spider):
    response = XmlResponse(f"{SITE}/wp-sitemap.xml", body=b"<html>not a sitemap</html>")
    assert [r.url for r in spider.parse_sitemap(response)] == [f"{SITE}/"]  # listings still read
    assert spider.crawler.stats.get_value("itp6/sitemap_invalid") == 1


LISTING = f"""<html><body>
<nav><a href="{SITE}/category/zhiliao/">治疗</a><a href="{SITE}/category/baike/page/2/">x</a></nav>
<ul class="post-loop"><li class="item"><h2 class="item-title"><a href="{SITE}/16001.html">一</a></h2></li>
<li class="item"><h2 class="item-title"><a href="{SITE}/16002.html">二</a></h2></li></ul>
<ul class="pagination"><li class="next"><a class="next" href="{{next}}">下一页</a></li></ul>
</body></html>"""


def test_category_listing_follows_articles_and_pagination(spider):
    page = LISTING.replace("{next}", f"{SITE}/category/zhiliao/page/2/")
    response = HtmlResponse(f"{SITE}/category/zhiliao/", body=page.encode(), encoding="utf-8")
    urls = [r.url for r in spider.parse_listing(response)]
    assert urls == [
        f"{SITE}/16001.html",
        f"{SITE}/16002.html",
        f"{SITE}/category/zhiliao",
        f"{SITE}/category/zhiliao/page/2",
    ]


def test_category_urls_with_and_without_the_slash_are_one_request(spider):
    spellings = ["/category/zhiliao", "/category/zhiliao/", "/category/zhiliao/page/1", "/category/zhiliao/page/1/"]
    assert {spider.site_url(SITE + path, CATEGORY_PATH) for path in spellings} == {f"{SITE}/category/zhiliao"}
    assert spider.site_url(f"{SITE}/category/zhiliao/page/3/", CATEGORY_PATH) == f"{SITE}/category/zhiliao/page/3"


class RecordingEngine:
    """What the spider's follow() uses of Scrapy's engine: its open spider, and crawl()."""

    def __init__(self, spider: Itp6Spider) -> None:
        self.spider = spider
        self.requests: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.requests.append(request)


def followed_from(spider: Itp6Spider, url: str, body: bytes) -> list[Request]:
    """The requests fetching the article page at ``url`` leads to: the spider's item goes through the
    extract pipeline, whose parse of the page hands the links to follow to ``spider.follow``."""
    engine = spider.crawler.engine = RecordingEngine(spider)
    spider.crawler.spider = spider
    request = Request(url, callback=spider.parse_article)
    (item,) = spider.parse_article(HtmlResponse(url, body=body, request=request))
    asyncio.run(ExtractPipeline(spider.crawler.stats, crawler=spider.crawler).process_item(item))
    return engine.requests


def test_an_unrecognised_article_page_still_yields_its_post_links(spider):
    page = f"""<html><body><div class="x"><h1>标题</h1><p>正文</p></div>
    <div class="y"><a href="{SITE}/16003.html">甲</a><a href="{SITE}/16004.html?x=1">乙</a>
    <a href="https://elsewhere.example/16005.html">外</a></div></body></html>"""
    followed = followed_from(spider, f"{SITE}/16001.html", page.encode())
    assert [r.url for r in followed] == [f"{SITE}/16003.html", f"{SITE}/16004.html"]
    assert all(r.headers["Referer"] == f"{SITE}/16001.html".encode() for r in followed)
    assert all(r.callback == spider.parse_article for r in followed)


def test_a_post_is_requested_once_however_many_pages_link_it(spider):
    """The dupefilter would drop a second request too, but only after the spider middlewares and the
    engine had handled it: most of a crawl's links point at posts the sitemap gave already."""
    urlset = sitemap_of(16001, 16002)
    from_sitemap = [r.url for r in spider.parse_sitemap(urlset)]
    assert from_sitemap[:2] == [f"{SITE}/16001.html", f"{SITE}/16002.html"]
    page = f"""<html><body><div class="x"><h1>标题</h1><p>正文</p></div><div class="y">
    <a href="{SITE}/16002.html">甲</a><a href="{SITE}/16003.html#comments">乙</a></div></body></html>"""
    assert [r.url for r in followed_from(spider, f"{SITE}/16001.html", page.encode())] == [f"{SITE}/16003.html"]
    assert followed_from(spider, f"{SITE}/16004.html", page.encode()) == []  # 16003 is on its way already
    listing = LISTING.replace("{next}", f"{SITE}/category/zhiliao/page/2")
    again = [r.url for r in spider.parse_listing(HtmlResponse(f"{SITE}/category/zhiliao", body=listing.encode()))]
    assert not {f"{SITE}/16001.html", f"{SITE}/16002.html", f"{SITE}/16003.html"} & set(again)
    assert spider.crawler.stats.get_value("itp6/discovered") >= 3


def test_nothing_is_followed_once_the_engine_has_closed_the_spider(spider):
    engine = spider.crawler.engine = RecordingEngine(spider)
    engine.spider = None
    spider.follow([f"{SITE}/16003.html"], f"{SITE}/16001.html")
    assert engine.requests == []


def test_home_pagination_is_not_followed(spider):
    page = LISTING.replace("{next}", f"{SITE}/page/2/")
    response = HtmlResponse(f"{SITE}/", body=page.encode(), encoding="utf-8")
    assert f"{SITE}/page/2/" not in [r.url for r in spider.parse_listing(response)]


def test_failed_article_fetch_becomes_a_failure_item(spider):
    request = spider.article_request(f"{SITE}/16001.html")
    response = HtmlResponse(request.url, status=500, request=request, body=b"")
    failure = Failure(HttpError(response))
    failure.request = request
    (item,) = list(request.errback(failure))
    assert isinstance(item, PageItem) and item.failure == "HTTP 500" and item.status == 500


def test_failed_listing_fetch_is_recorded_too(spider):
    request = spider.listing_request(f"{SITE}/category/x/")
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = request
    (item,) = list(request.errback(failure))
    assert item.failure == "connection refused (ConnectionRefusedError)" and item.status is None
    assert spider.crawler.stats.get_value("itp6/fetch_failed") == 1


def test_the_sites_own_spelling_is_followed():
    crawler = project_crawler(Itp6Spider)
    crawler.stats.open_spider()
    spider = Itp6Spider.from_crawler(crawler, site="http://itp6.com")
    list(spider.parse_robots(TextResponse("https://www.itp6.com/robots.txt", body=b"User-agent: *\n")))
    assert spider.article_request("http://itp6.com/123.html").url == "https://www.itp6.com/123.html"
    assert spider.article_request("https://www.itp6.com:8443/123.html") is None
    assert spider.article_request("https://itp6.com/124.html").url == "https://www.itp6.com/124.html"
    assert spider.allowed_domains == ["itp6.com"]
    default = Itp6Spider.from_crawler(project_crawler(Itp6Spider))
    assert default.site == "https://www.itp6.com" and default.allowed_domains == ["itp6.com"]


def test_missing_robots_falls_back_to_the_core_sitemap_without_a_failure(spider):
    (request,) = spider.started
    failure = Failure(HttpError(HtmlResponse(request.url, status=404, request=request, body=b"")))
    failure.request = request
    (follow,) = list(request.errback(failure))
    assert isinstance(follow, Request) and follow.url == f"{SITE}/wp-sitemap.xml"


def test_an_unreadable_listing_is_a_failure_item(spider):
    response = HtmlResponse(f"{SITE}/category/x/", body=b"", encoding="utf-8")
    (item,) = list(spider.parse_listing(response))
    assert isinstance(item, PageItem) and item.failure == "listing unreadable: empty document"
    assert (item.url, item.status) == (f"{SITE}/category/x/", 200)


def test_an_article_page_follows_every_related_post_and_its_neighbours(spider):
    from itp6crawl.replica import build_site

    site = build_site(n_articles=30, seed=21)
    gold = {entry["id"]: entry for entry in site.gold(SITE)}
    spec = next(
        s
        for s in site.articles
        if len(gold[s.id]["related"]) >= 3 and gold[s.id]["prev_url"] and gold[s.id]["next_url"]
    )
    followed = {r.url for r in followed_from(spider, spec.url(SITE), site.render(spec.path, SITE)[2])}
    related = {entry["url"] for entry in gold[spec.id]["related"] if entry["url"].endswith(".html")}
    assert related and followed == related | {gold[spec.id]["prev_url"], gold[spec.id]["next_url"]}  # nothing else


def test_robots_sitemaps_are_read_wherever_robots_puts_them(spider):
    robots = TextResponse(f"{SITE}/robots.txt", body=b"Sitemap: /sitemap_index.xml\nSitemap: /news.xml\n")
    sitemaps = list(spider.parse_robots(robots))
    assert [r.url for r in sitemaps] == [f"{SITE}/sitemap_index.xml", f"{SITE}/news.xml"]
    # Each is read as a sitemap, and its failure is recorded (and still leads on to the listings).
    empty = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    assert list(sitemaps[0].callback(XmlResponse(sitemaps[0].url, body=empty))) == []
    failure = Failure(HttpError(HtmlResponse(sitemaps[1].url, status=500, request=sitemaps[1], body=b"")))
    failure.request = sitemaps[1]
    home, item = sitemaps[1].errback(failure)
    assert home.url == f"{SITE}/" and item.failure == "HTTP 500" and item.url == sitemaps[1].url


def incremental(spider, archive, *, previous_complete=True, full=False):
    spider.session.archive = archive
    spider.session.previous_complete = previous_complete
    spider.session.full = full
    return spider


def test_an_incremental_crawl_reads_the_next_listing_page_only_while_it_shows_new_posts(spider, tmp_path):
    page = LISTING.replace("{next}", f"{SITE}/category/zhiliao/page/2/")
    response = HtmlResponse(f"{SITE}/category/zhiliao/", body=page.encode(), encoding="utf-8")
    next_page = f"{SITE}/category/zhiliao/page/2"
    with Archive.open(tmp_path / "itp6.db") as archive:
        # The archive knows posts by their canonical URL, whatever host the crawl reads them from.
        archive.state.record("https://www.itp6.com/16001.html", status=200)
        incremental(spider, archive)
        assert next_page in [r.url for r in spider.parse_listing(response)]  # 16002 is new
        archive.state.record("https://www.itp6.com/16002.html", status=200)
        assert next_page not in [r.url for r in spider.parse_listing(response)]  # nothing new on this page
        incremental(spider, archive, full=True)
        assert next_page in [r.url for r in spider.parse_listing(response)]
        incremental(spider, archive, previous_complete=False)  # the last run stopped early: read it all
        assert next_page in [r.url for r in spider.parse_listing(response)]


def test_an_unchanged_listing_yields_nothing(spider):
    assert list(spider.parse_listing(HtmlResponse(f"{SITE}/category/x", status=304, body=b""))) == []


def test_a_listing_with_relative_links_is_read_against_its_own_url(spider):
    page = LISTING.replace(f"{SITE}/", "/").replace("{next}", "/category/zhiliao/page/2/")
    response = HtmlResponse(f"{SITE}/category/zhiliao/", body=page.encode(), encoding="utf-8")
    assert [r.url for r in spider.parse_listing(response)] == [
        f"{SITE}/16001.html",
        f"{SITE}/16002.html",
        f"{SITE}/category/zhiliao",
        f"{SITE}/category/zhiliao/page/2",
    ]


def archive_with_live_posts(path, article_factory, fetch_time, *post_ids):
    archive = Archive.open(path)
    for post_id in post_ids:
        article = article_factory(post_id)
        archive.articles.save(article, segment_article(article), fetch_time)
        archive.state.record(article.url, status=200, in_sitemap=1, fetched_at=iso(datetime.now(CST)))
    return archive


def sitemap_of(*post_ids) -> XmlResponse:
    urls = "".join(f"<url><loc>{SITE}/{post_id}.html</loc></url>" for post_id in post_ids)
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    return XmlResponse(f"{SITE}/wp-sitemap.xml", body=body.encode())


def test_live_posts_that_left_the_sitemaps_are_requested_again(spider, tmp_path, article_factory, fetch_time):
    with archive_with_live_posts(tmp_path / "itp6.db", article_factory, fetch_time, 16001, 16009) as archive:
        incremental(spider, archive)
        (sitemap,) = spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=b""))
        requests = list(sitemap.callback(sitemap_of(16001)))
    # 16001, in the sitemap and read a moment ago, is not due: the revisit plan leaves it alone.
    assert [(r.url, r.callback.__name__, r.meta.get(REASON)) for r in requests] == [
        (f"{SITE}/", "parse_listing", None),
        (f"{SITE}/16009.html", "parse_article", "left-sitemap"),  # left the sitemap: is it gone?
    ]


def test_a_full_crawl_requests_every_post_it_finds_and_every_archived_post_outside_the_sitemaps(
    spider, tmp_path, article_factory, fetch_time
):
    with archive_with_live_posts(tmp_path / "itp6.db", article_factory, fetch_time, 16001, 16009) as archive:
        incremental(spider, archive, full=True)
        (sitemap,) = spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=b""))
        requests = list(sitemap.callback(sitemap_of(16001)))
    assert [(r.url, r.callback.__name__) for r in requests] == [
        (f"{SITE}/16001.html", "parse_article"),
        (f"{SITE}/", "parse_listing"),
        (f"{SITE}/16009.html", "parse_article"),
    ]


@pytest.mark.parametrize("previous_complete", [False, True])
def test_after_a_run_that_stopped_early_the_posts_archived_pages_link_to_are_requested(
    spider, tmp_path, article_factory, fetch_time, previous_complete
):
    """A post outside sitemaps and listings is known only from the pages that link to it; after a killed
    run those pages may be archived and unchanged, never read again: the stored links lead to it."""
    with archive_with_live_posts(tmp_path / "itp6.db", article_factory, fetch_time, 16001) as archive:
        archive.state.record("https://www.itp6.com/100.html", status=404)  # linked (prev), fetched before
        incremental(spider, archive, previous_complete=previous_complete)
        (sitemap,) = spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=b""))
        urls = [r.url for r in sitemap.callback(sitemap_of(16001))]
    linked = [] if previous_complete else [f"{SITE}/102.html"]  # related, never fetched
    assert urls == [f"{SITE}/", *linked]


@pytest.mark.parametrize("failed", ["invalid", "http-error", "ignored"])
def test_no_post_is_taken_for_missing_when_a_sitemap_could_not_be_read(
    spider, tmp_path, article_factory, fetch_time, failed
):
    """One unreadable sitemap means the list of posts is incomplete: no archived post is requested again
    for missing from it, and the listings are still read."""
    with archive_with_live_posts(tmp_path / "itp6.db", article_factory, fetch_time, 16001, 16009) as archive:
        incremental(spider, archive)
        robots = TextResponse(f"{SITE}/robots.txt", body=f"Sitemap: {SITE}/a.xml\nSitemap: {SITE}/b.xml\n".encode())
        first, second = spider.parse_robots(robots)
        assert list(first.callback(sitemap_of(16001))) == []  # the plan decides, once every sitemap is in
        if failed == "invalid":
            followed = list(second.callback(XmlResponse(second.url, body=b"<html>not a sitemap</html>")))
        else:
            error = HttpError(HtmlResponse(second.url, status=503, request=second, body=b""))
            failure = Failure(error if failed == "http-error" else IgnoreRequest("robots.txt"))
            failure.request = second
            followed = list(second.errback(failure))
    assert [r.url for r in followed if isinstance(r, Request)] == [f"{SITE}/"]


def test_a_refused_redirect_is_a_failure_of_the_post_itself(spider):
    request = Request(
        f"{SITE}/16002.html", callback=spider.parse_article, meta={"redirect_urls": [f"{SITE}/16001.html"]}
    )
    failure = Failure(RedirectRefused("redirect to another site: https://elsewhere.example/", 301))
    failure.request = request
    (item,) = list(spider.on_error(failure))
    assert (item.url, item.request_url, item.status) == (f"{SITE}/16001.html", f"{SITE}/16001.html", 301)
    assert item.failure == "redirect to another site: https://elsewhere.example/" and item.fetched_at.tzinfo
    assert spider.crawler.stats.get_value("itp6/fetch_failed") == 1
    request = Request(f"{SITE}/16003.html", callback=spider.parse_article)  # refused on the first hop
    failure = Failure(RedirectRefused("redirect loop", 302))
    failure.request = request
    assert [item.url for item in spider.on_error(failure)] == [f"{SITE}/16003.html"]


def test_a_request_skipped_on_purpose_is_no_failure(spider):
    request = Request(f"{SITE}/16001.html", callback=spider.parse_article)
    failure = Failure(IgnoreRequest("not modified since the sitemap's lastmod"))
    failure.request = request
    assert list(spider.on_error(failure)) == []
    assert spider.crawler.stats.get_value("itp6/fetch_failed") is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError("took longer than 180.0 seconds"), "timed out: took longer than 180.0 seconds"),
        (ValueError(), "ValueError"),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_failure_reasons_are_one_readable_line(error, reason):
    assert failure_reason(Failure(error)) == reason


def test_requests_carry_what_the_middlewares_and_pipelines_read(spider):
    """The kind of page (conditional requests keep state for articles and listings), the statuses the
    spider handles itself (304 for both; 404 and 410 mark an article gone), the sitemap's lastmod."""
    article = spider.article_request(f"{SITE}/16001.html", "2024-06-01T00:00:00+08:00", in_sitemap=True)
    assert article.meta[KIND] == "article" and set(article.meta["handle_httpstatus_list"]) == {304, 404, 410}
    assert article.meta[LASTMOD] == "2024-06-01T00:00:00+08:00" and article.meta[IN_SITEMAP] is True
    assert IN_SITEMAP not in spider.article_request(f"{SITE}/16002.html").meta
    listing = spider.listing_request(f"{SITE}/category/zhiliao")
    assert listing.meta[KIND] == "listing" and listing.meta["handle_httpstatus_list"] == [304]
    assert listing.callback == spider.parse_listing


def test_each_post_counts_once_as_discovered(spider):
    for url in [f"{SITE}/16001.html", f"{SITE}/16001.html#comments", f"{SITE}/16002.html", f"{SITE}/x/"]:
        spider.article_request(url)
    assert spider.crawler.stats.get_value("itp6/discovered") == 2


def test_an_article_response_becomes_one_item_with_everything_the_pipelines_need(spider):
    body = "<html><body><h1>标题</h1><p>服用艾曲泊帕三个月,血小板升到八十。</p></body></html>".encode("gbk")
    request = spider.article_request(f"{SITE}/16001.html", "2024-06-01T00:00:00+08:00", in_sitemap=True)
    fetched = datetime(2024, 6, 5, 12, 0).astimezone()
    request.meta.update({WARC: ("itp6-1.warc.gz", 1234), FETCHED_AT: fetched})
    response = HtmlResponse(
        f"{SITE}/16001.html?moved=1",  # where the body came from, after a redirect
        body=body,
        headers={"Content-Type": "text/html; charset=GBK", "ETag": '"abc"'},
        request=request,
    )
    (item,) = spider.parse_article(response)  # the page is parsed once, by the extract pipeline
    assert (item.url, item.request_url, item.status) == (f"{SITE}/16001.html?moved=1", f"{SITE}/16001.html", 200)
    assert item.fetched_at == fetched and item.header("etag") == '"abc"' and item.body == body
    assert item.charset == "GBK" and item.sitemap_lastmod == "2024-06-01T00:00:00+08:00" and item.in_sitemap
    assert item.warc == ("itp6-1.warc.gz", 1234) and item.failure is None
    (gone,) = spider.parse_article(HtmlResponse(request.url, status=404, body=b"gone", request=request))
    assert gone.status == 404 and gone.body == b"" and gone.fetched_at.tzinfo
    empty = spider.article_request(f"{SITE}/16003.html")
    (blank,) = spider.parse_article(HtmlResponse(empty.url, body=b"", request=empty))
    assert blank.body == b"" and blank.status == 200 and not blank.in_sitemap
    assert blank.fetched_at.tzinfo  # no WARC record to date it: now, with its offset


@pytest.mark.parametrize(("days_ago", "max_interval", "rechecked"), [(3, None, False), (31, None, True), (3, 2, True)])
def test_posts_outside_every_sitemap_are_reread_at_the_latest_after_the_maximum_interval(
    tmp_path, article_factory, fetch_time, days_ago, max_interval, rechecked
):
    settings = {"ITP6_MAX_INTERVAL_DAYS": max_interval} if max_interval else {}
    crawler = project_crawler(Itp6Spider, settings=settings)
    crawler.stats.open_spider()
    spider = Itp6Spider.from_crawler(crawler, site=SITE)
    start(spider)
    with Archive.open(tmp_path / "itp6.db") as archive:
        article = article_factory(16009)
        archive.articles.save(article, segment_article(article), fetch_time)
        checked = (datetime.now().astimezone() - timedelta(days=days_ago)).isoformat(timespec="seconds")
        archive.state.record(article.url, status=200, in_sitemap=0, fetched_at=checked)
        incremental(spider, archive)
        (sitemap,) = spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=b""))
        urls = [r.url for r in sitemap.callback(sitemap_of(16001))]
    assert (f"{SITE}/16009.html" in urls) == rechecked


@pytest.mark.parametrize("prefix", ["Expected to receive", "Received"])
def test_a_download_over_the_size_limit_has_a_readable_reason(prefix):
    message = f"{prefix} 17777216 bytes which is larger than download max size (16777216) in request <GET x>."
    reason = failure_reason(Failure(DownloadCancelledError(message)))
    assert reason == "page larger than the 16 MiB download limit (DOWNLOAD_MAXSIZE): 17,777,216 bytes"


def test_after_a_run_that_stopped_early_both_posts_gone_from_the_sitemaps_and_linked_posts_are_requested(
    spider, tmp_path, article_factory, fetch_time
):
    with archive_with_live_posts(tmp_path / "itp6.db", article_factory, fetch_time, 16001, 16009) as archive:
        archive.state.record("https://www.itp6.com/100.html", status=404)
        incremental(spider, archive, previous_complete=False)
        (sitemap,) = spider.parse_robots(TextResponse(f"{SITE}/robots.txt", body=b""))
        urls = [r.url for r in sitemap.callback(sitemap_of(16001))]
    assert urls == [f"{SITE}/", f"{SITE}/102.html", f"{SITE}/16009.html"]  # new posts first


def test_a_header_sent_twice_reaches_the_item_as_one_comma_joined_value(spider):
    request = spider.article_request(f"{SITE}/16001.html")
    headers = Headers({"Link": ["<https://www.itp6.com/?p=16001>; rel=shortlink", "<https://www.itp6.com/wp-json/>"]})
    (item,) = spider.parse_article(HtmlResponse(request.url, body=b"<p>x</p>", headers=headers, request=request))
    assert item.header("link") == "<https://www.itp6.com/?p=16001>; rel=shortlink, <https://www.itp6.com/wp-json/>"


def test_the_article_callback_is_no_generator():
    """For a generator callback Scrapy reads and parses its source on every response (its cache misses
    on bound methods): the callback of every article page returns a list instead."""
    assert not inspect.isgeneratorfunction(Itp6Spider.parse_article)
