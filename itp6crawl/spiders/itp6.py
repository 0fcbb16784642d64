"""The ``itp6`` spider: discovers article pages and fetches them, nothing more.

Discovery: robots.txt -> WordPress sitemaps (with ``lastmod``), the home page and category listings
(following pagination, never the home page's empty /page/n), and each article's related, previous
and next links. On pages whose markup the theme rules do not recognise, every same-site post link
(``/{id}.html``) is still followed, so discovery survives a theme change.

Incremental by default: the conditional-request middleware skips or revalidates posts from the
archive's crawl state; listings are read from the first page every run (new posts are found within
one run) and paginated only while they show posts the archive does not know, unless ``--full`` or
the previous run did not finish. Live posts that left the sitemap are requested again, to learn
whether they are gone. Every fetched article (200, 304, 404, 410) becomes a :class:`PageItem`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar
from urllib.parse import urlparse, urlunparse

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from .. import counters, revisit, signals
from ..extract import decode_html
from ..extract.encoding import content_type_charset
from ..extract.html import ExtractionError, parse_document
from ..extract.listings import parse_listing
from ..items import PageItem
from ..middlewares import (
    FETCHED_AT,
    IN_SITEMAP,
    INCOMPLETE,
    KIND,
    LASTMOD,
    REASON,
    WARC,
    RedirectRefused,
    not_newer,
)
from ..session import CrawlSession
from ..settings import DOWNLOAD_DELAY as POLITE_DELAY
from ..times import CST, iso, parse_iso
from ..urls import (
    CANONICAL_SITE,
    CATEGORY_PATH,
    POST_PATH,
    WEB_SCHEMES,
    canonical_path,
    canonical_url,
    same_site,
    site_host,
)

# Statuses of an article that the spider handles itself: not modified, and gone.
ARTICLE_STATUSES = [304, 404, 410]
T = TypeVar("T")


class Itp6Spider(Spider):
    name = "itp6"

    def __init__(self, site: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = check_site(site)
        self.origin = self.site  # the site's own spelling (scheme and host), learnt from robots.txt
        # Offsite filtering by domain (www. and its parent both allowed); site_url() checks the port too.
        self.allowed_domains = [site_host(self.site)]
        self._sitemaps_pending = 0
        self._sitemap_failed = False
        self._in_sitemap: set[str] = set()  # canonical URLs of the posts the sitemaps list
        self._discovered: set[str] = set()
        self._requested: set[str] = set()  # article URLs this run has yielded a request for
        self._pending = 0  # discovery requests (robots.txt, sitemaps, change signals) not answered yet
        self._planned = False
        self._sitemap_posts: dict[str, str | None] = {}  # canonical URL -> sitemap lastmod (planned runs)
        self._categories: list[str] = []  # category listings the sitemaps name (planned runs)
        self._signals = signals.ChangeSignals()  # what the change signals said (none read: nothing)
        self._budget_left: int | None = None  # article requests the plan may still make (None: no limit)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, site: str | None = None, **kwargs: Any) -> Self:
        """The spider for ``site`` (``-a site=URL``), else for the ``ITP6_SITE`` setting."""
        return super().from_crawler(crawler, *args, site=site or crawler.settings.get("ITP6_SITE"), **kwargs)

    @property
    def session(self) -> CrawlSession:
        return CrawlSession.of(self.crawler)

    async def start(self) -> AsyncIterator[Request]:
        self._sitemaps_pending += 1  # robots.txt leads to the sitemaps
        self._pending += 1
        yield Request(f"{self.site}/robots.txt", callback=self.parse_robots, errback=self.on_error)
        if self.planned:
            for request in self.signal_requests():
                yield request

    @property
    def planned(self) -> bool:
        """Whether this run follows the revisit plan: an incremental run into an archive. A full run, or
        the spider driven without an archive, requests every post it finds."""
        return self.session.archive is not None and not self.session.full

    @property
    def reads_listings(self) -> bool:
        """Whether the category listings are read: they find new posts the sitemaps miss, which a
        modification index read to its mark names anyway (then only the home page is read), unless the
        last run stopped early."""
        if not self.planned or not self.session.previous_complete:
            return True
        return not self._planned or self._signals.index_source is None

    # -- change signals -----------------------------------------------------------------------------

    def signal_requests(self) -> Iterator[Request]:
        """The first page of each change signal: the feed ordered by modification, the comments feed and
        the REST API's posts modified since the mark (a 404 or an HTML page there just means no REST)."""
        archive = self.session.archive
        assert archive is not None
        modified_mark = parse_iso(archive.state.mark("modified") or archive.state.newest_modified() or "")
        comment_mark = archive.state.mark("comment")
        self._signals = signals.ChangeSignals(
            modified_mark=modified_mark,
            comment_mark=int(comment_mark) if comment_mark else archive.state.newest_comment_id(),
        )
        yield self.signal_request(signals.modified_feed_path(1), self.parse_modified_feed, page=1)
        yield self.signal_request(signals.comments_feed_path(1), self.parse_comments_feed, page=1)
        yield self.signal_request(signals.rest_posts_path(1, modified_mark), self.parse_rest_posts, page=1)

    def signal_request(self, path: str, callback: Any, *, page: int) -> Request:
        """A request of a signal's page (``path`` on the site); counted until its answer is taken."""
        self._pending += 1
        meta = {"page": page, "handle_httpstatus_list": [400, 404]}
        return Request(self.site + path, callback=callback, errback=self.on_error, meta=meta, dont_filter=True)

    def read_signal(self, response: Response, reader: Callable[[bytes], list[T]], what: str) -> list[T] | None:
        """What ``reader`` makes of a signal's answer; None when it is no such answer (a 404, an HTML page:
        the site does not offer that signal, which is no failure)."""
        if response.status != 200:
            return None
        try:
            return reader(response.body)
        except signals.SignalError as error:
            self.logger.info("No %s (%s): %s", what, response.url, error)
            return None

    def parse_modified_feed(self, response: Response) -> Iterator[Request | PageItem]:
        assert self.session.archive is not None
        page = response.meta["page"]
        posts = self.read_signal(response, signals.atom_posts, "feed ordered by modification") or []
        proven = self.session.archive.state.mark("feed_orderby") == "honoured"
        if posts and signals.orderby_honoured(posts, proven_before=proven):
            if self._signals.modified_page(posts, page, "feed", last_page=len(posts) < signals.FEED_PAGE_SIZE):
                yield self.signal_request(signals.modified_feed_path(page + 1), self.parse_modified_feed, page=page + 1)
        else:
            self._signals.published_page(posts)  # date order (or unprovable): its posts are only the newest
        yield from self.discovery_done()

    def parse_comments_feed(self, response: Response) -> Iterator[Request | PageItem]:
        page = response.meta["page"]
        comments = self.read_signal(response, signals.rss_comments, "comments feed")
        if comments is not None and self._signals.comments_page(comments, page):
            yield self.signal_request(signals.comments_feed_path(page + 1), self.parse_comments_feed, page=page + 1)
        yield from self.discovery_done()

    def parse_rest_posts(self, response: Response) -> Iterator[Request | PageItem]:
        page = response.meta["page"]
        posts = self.read_signal(response, signals.rest_posts, "REST API")
        if posts is not None:
            if page == 1:  # the REST API answers: its comments too, newest first, 100 a page
                yield self.signal_request(signals.rest_comments_path(1), self.parse_rest_comments, page=1)
            pages = _int_header(response, b"X-WP-TotalPages")
            last = pages is not None and page >= pages
            if self._signals.modified_page(posts, page, "rest", last_page=last or not posts):
                next_page = signals.rest_posts_path(page + 1, self._signals.modified_mark)
                yield self.signal_request(next_page, self.parse_rest_posts, page=page + 1)
        yield from self.discovery_done()

    def parse_rest_comments(self, response: Response) -> Iterator[Request | PageItem]:
        page = response.meta["page"]
        comments = self.read_signal(response, signals.rest_comments, "comments in the REST API")
        if comments is not None and self._signals.comments_page(comments, page, signals.REST_PAGE_SIZE):
            yield self.signal_request(signals.rest_comments_path(page + 1), self.parse_rest_comments, page=page + 1)
        yield from self.discovery_done()

    def discovery_done(self) -> Iterator[Request | PageItem]:
        """One discovery request answered (or failed); after the last, the plan of a planned run."""
        self._pending -= 1
        if self._pending or not self.planned or self._planned:
            return
        self._planned = True
        yield from self.plan_requests()

    def plan_requests(self) -> Iterator[Request]:
        """Request what the revisit plan chooses, within the budget; remember what it could not reach."""
        archive = self.session.archive
        assert archive is not None
        now = datetime.now(CST)
        histories = archive.state.histories()
        known = {history.url for history in histories}
        lastmod_newer, verified = [], []
        for url, lastmod in self._sitemap_posts.items():
            state = archive.state.get(url) if url in known else None
            if state is None or lastmod is None:
                continue
            if not_newer(lastmod, state.fetched_at, state.sitemap_lastmod):
                verified.append(url)
            else:
                lastmod_newer.append(url)
        self.crawler.stats.inc_value(counters.SKIPPED_LASTMOD, len(verified))
        left, linked = self.recheck_urls()
        found = self._signals
        named = revisit.signalled_posts(
            known,
            listed=[*self._sitemap_posts, *(self.canonical(u) for u in found.published)],
            modified=[self.canonical(url) for url in found.modified],
            lastmod_newer=lastmod_newer,
            commented=[self.canonical(url) for url in found.commented],
            left_sitemap=left,
            linked=linked,
        )
        settings = self.crawler.settings
        policy = revisit.Policy(max_interval_days=settings.getfloat("ITP6_MAX_INTERVAL_DAYS"))
        # Minutes are counted at the crawl's delay, or the polite 2 s where --local dropped it.
        configured_delay = settings.getfloat("DOWNLOAD_DELAY")
        delay = configured_delay if configured_delay > 0 else POLITE_DELAY
        # A first crawl (nothing archived yet) reads the whole site: the budget is for the runs after it.
        budget = revisit.budget_requests(settings.get("ITP6_BUDGET"), delay) if histories else None
        # Spent: every request so far, the home page requested below, and the runner's reachability probe.
        spent = self.crawler.stats.get_value(counters.REQUESTS, 0) + 2
        verified_through = now if found.index_source else None
        plan = revisit.plan(
            histories,
            now=now,
            policy=policy,
            signalled=named,
            verified=verified,
            verified_through=verified_through,
            unlisted=known - self._in_sitemap if not self._sitemap_failed else known,
            budget=None if budget is None else budget - spent,
        )
        self._budget_left = None if budget is None else max(0, budget - spent - len(plan.fetches))
        archive.state.signal({url: r.value for url, r in named.items() if url in known}, now)
        archive.state.set_marks(
            {
                "modified": iso(found.next_modified_mark) if found.next_modified_mark else None,
                "comment": str(found.next_comment_mark) if found.next_comment_mark is not None else None,
                "feed_orderby": "honoured" if found.index_source == "feed" else None,
            },
            now,
        )
        reasons = ", ".join(f"{count} {reason}" for reason, count in plan.by_reason().items()) or "nothing"
        source = {"rest": "the REST API", "feed": "the feed ordered by modification"}.get(found.index_source or "")
        self.logger.info(
            "Revisit plan: %s; %d left due for the next run (budget %s requests); modifications %s",
            reasons,
            len(plan.deferred),
            budget if budget is not None else "unlimited",
            f"from {source}" if source else "unknown: no index answered",
        )
        yield self.listing_request(f"{self.origin}/")
        for category in self._categories if self.reads_listings else ():
            yield self.listing_request(category)
        for reason, count in plan.by_reason().items():
            self.crawler.stats.inc_value(counters.PLANNED + reason, count)
        if found.index_source:
            self.crawler.stats.set_value(counters.MODIFICATION_INDEX, found.index_source)
        self.crawler.stats.inc_value(counters.NOT_DUE, plan.not_due)
        self.crawler.stats.inc_value(counters.DEFERRED, len(plan.deferred))
        for fetch in plan.fetches:
            in_sitemap = fetch.url in self._sitemap_posts
            lastmod = self._sitemap_posts.get(fetch.url)
            request = self.article_request(self.origin + urlparse(fetch.url).path, lastmod, in_sitemap=in_sitemap)
            if request is not None:
                request.meta[REASON] = fetch.reason.value
                yield from self.unrequested([request])

    def recheck_urls(self) -> tuple[list[str], list[str]]:
        """Live posts that left the sitemaps (gone?), and after a run that stopped early, the posts
        archived pages link to that were never fetched."""
        archive = self.session.archive
        assert archive is not None
        left: list[str] = []
        if not self._sitemap_failed:  # "not in the sitemaps" means something only when they were all read
            # Posts outside every sitemap: a planned run leaves them to the revisit plan (due by their
            # history, at least every maximum interval); a full run reads them all again.
            stale_before = "" if self.planned else iso(datetime.now(CST) + timedelta(seconds=1))
            left = archive.state.posts_to_recheck(self._in_sitemap, stale_before)
            if left:
                self.logger.info("%d archived posts are not in the sitemaps: requesting them again", len(left))
        linked: list[str] = []
        if not self.session.previous_complete:
            # The last run stopped early: a post it learnt of only from a page's related links may be
            # reachable only through pages this run need not read again (unchanged, skipped by lastmod).
            linked = archive.state.unfetched_link_targets()
            if linked:
                self.logger.info("%d posts linked from archived pages were never fetched: requesting them", len(linked))
        return left, linked

    # -- URLs ---------------------------------------------------------------------------------------

    def site_url(self, url: str, pattern: re.Pattern[str]) -> str | None:
        """``url`` on this site with a path matching ``pattern``, in one spelling: the site's origin,
        the canonical path (listings without the trailing slash), no query or fragment; else None."""
        parts = urlparse(url)
        if parts.scheme not in WEB_SCHEMES or not same_site(url, self.site) or not pattern.match(parts.path):
            return None
        origin = urlparse(self.origin)
        return urlunparse((origin.scheme, origin.netloc, canonical_path(parts.path), "", "", ""))

    def canonical(self, url: str) -> str:
        return canonical_url(url, self.session.canonical_site)

    def article_request(self, url: str, lastmod: str | None = None, *, in_sitemap: bool = False) -> Request | None:
        url = self.site_url(url, POST_PATH)
        if url is None:
            return None
        if url not in self._discovered:
            self._discovered.add(url)
            self.crawler.stats.inc_value(counters.DISCOVERED)
        meta = {KIND: "article", "handle_httpstatus_list": ARTICLE_STATUSES}
        if lastmod:
            meta[LASTMOD] = lastmod
        if in_sitemap:
            meta[IN_SITEMAP] = True
        return Request(url, callback=self.parse_article, errback=self.on_error, meta=meta)

    def archived(self, url: str) -> bool:
        """Whether the archive has crawl state for ``url`` (any spelling of the site's URL)."""
        archive = self.session.archive
        return archive is not None and archive.state.get(self.canonical(url)) is not None

    def unrequested(self, requests: Iterable[Request]) -> Iterator[Request]:
        """The article requests whose URL this run has not yielded yet.

        The scheduler's dupefilter would drop the others too, but only after every spider middleware and
        the engine had handled them: a post names seven related posts and its neighbours, nearly all
        requested already from the sitemap, so a 2,000-post crawl yielded 16,000 requests to fetch 2,000.
        The dupefilter stays the authority (retries, redirects, a resumed job's seen requests)."""
        for request in requests:
            if request.url not in self._requested:
                self._requested.add(request.url)
                yield request

    def listing_request(self, url: str) -> Request:
        meta = {KIND: "listing", "handle_httpstatus_list": [304]}
        return Request(url, callback=self.parse_listing, errback=self.on_error, meta=meta)

    # -- callbacks ----------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        parts = urlparse(response.url)
        if same_site(response.url, self.site):
            self.origin = f"{parts.scheme}://{parts.netloc}"
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        yield from self.sitemap_requests(sitemaps or [f"{self.origin}/wp-sitemap.xml"])
        yield from self.sitemap_done()

    def sitemap_requests(self, urls: list[str]) -> Iterator[Request]:
        for url in urls:
            self._sitemaps_pending += 1
            self._pending += 1
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def sitemap_done(self) -> Iterator[Request | PageItem]:
        """One sitemap (or robots.txt) answered. After the last, in a planned run: the plan, once the
        change signals are in too. Otherwise: the home page (listings come after the sitemaps, so each
        post is first requested with its lastmod), live posts that left them, and after a run that
        stopped early, the posts archived pages link to that were never fetched."""
        self._sitemaps_pending -= 1
        if self.planned:
            yield from self.discovery_done()
            return
        self._pending -= 1
        if self._sitemaps_pending:
            return
        yield self.listing_request(f"{self.origin}/")
        if self.session.archive is None:
            return
        left, linked = self.recheck_urls()
        requests = (self.article_request(self.origin + urlparse(url).path) for url in left + linked)
        yield from self.unrequested(request for request in requests if request is not None)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = Sitemap(response.body)
            if sitemap.type not in ("urlset", "sitemapindex"):
                raise ValueError(f"a <{sitemap.type}> document, not a sitemap")
        except Exception as error:  # lxml raises several types for non-XML bodies
            self.crawler.stats.inc_value(counters.SITEMAP_INVALID)
            self.logger.warning("Ignoring invalid sitemap %s: %s", response.url, error)
            self._sitemap_failed = True
            yield from self.sitemap_done()
            return
        children = []
        for entry in sitemap:
            loc = entry.get("loc", "")
            if sitemap.type == "sitemapindex":
                children.append(loc)
            elif (request := self.article_request(loc, entry.get("lastmod"), in_sitemap=True)) is not None:
                self._in_sitemap.add(self.canonical(request.url))
                if self.planned:  # the plan decides, once every signal is in
                    self._sitemap_posts[self.canonical(request.url)] = entry.get("lastmod")
                else:
                    yield from self.unrequested([request])
            elif (category := self.site_url(loc, CATEGORY_PATH)) is not None:
                if self.planned:
                    self._categories.append(category)
                else:
                    yield self.listing_request(category)
        yield from self.sitemap_requests(children)
        yield from self.sitemap_done()

    def parse_listing(self, response: Response) -> Iterator[Request | PageItem]:
        if response.status == 304:
            return  # unchanged since the last run: it shows no new post
        try:
            doc = parse_document(decode_html(response.body, _header_charset(response)))
        except ExtractionError as error:
            yield self.failure_item(response.url, response.status, f"listing unreadable: {error}")
            return
        listing = parse_listing(doc, response.url)
        requests = [r for url in listing.article_urls if (r := self.article_request(url)) is not None]
        if self.planned:  # the plan chose the archived posts to read again; a listing adds only new ones
            requests = [r for r in requests if not self.archived(r.url)]
        yield from self.unrequested(requests)
        for url in listing.category_urls if self.reads_listings else ():
            if (category := self.site_url(url, CATEGORY_PATH)) is not None:
                yield self.listing_request(category)
        # The theme empties the home page's /page/n, so only category listings paginate.
        next_page = self.site_url(listing.next_page, CATEGORY_PATH) if listing.next_page else None
        if next_page and self.paginate(requests):
            yield self.listing_request(next_page)

    def paginate(self, requests: list[Request]) -> bool:
        """Whether to read the next page of a listing: always in a full crawl or after a run that did
        not finish; otherwise only while the page shows posts the archive does not hold yet."""
        archive = self.session.archive
        if self.session.full or archive is None or not self.session.previous_complete:
            return True
        return any(archive.state.get(self.canonical(request.url)) is None for request in requests)

    def parse_article(self, response: Response) -> list[PageItem]:
        """The page as it came, for ExtractPipeline to parse (once), which hands the links to follow to
        follow(). A list, not a generator: for every generator callback Scrapy reads and parses the
        callback's source to warn about a ``return value``, and its cache of that answer is keyed by a
        weak reference that a bound method does not outlive, so it did so for every article page."""
        item = PageItem(
            url=response.url,
            request_url=response.request.url if response.request else response.url,
            status=response.status,
            fetched_at=response.meta.get(FETCHED_AT) or datetime.now(CST),
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body if response.status == 200 else b"",
            charset=_header_charset(response),
            sitemap_lastmod=response.meta.get(LASTMOD),
            in_sitemap=bool(response.meta.get(IN_SITEMAP)),
            reason=response.meta.get(REASON),
            warc=response.meta.get(WARC),
            failure=response.meta.get(INCOMPLETE),
        )
        return [item]

    def follow(self, urls: list[str], referer: str) -> None:
        """Request the posts an article page links to (its related posts and its neighbours).

        The extract pipeline reads them from its parse of the page, the only one the page gets, after
        this spider's callback has returned: so the requests go to the engine directly, not through the
        spider middlewares (the Referer, which one of those would set, is set here)."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no crawl is running (the spider driven by hand): nothing to fetch
            return
        if engine is None or engine.spider is None:  # the crawl is over or stopping: nothing more to fetch
            return
        # Most links lead to posts requested already: those are dropped before a Request is built.
        posts = dict.fromkeys(self.site_url(url, POST_PATH) for url in urls)
        fresh = [post for post in posts if post is not None and post not in self._requested]
        if self.planned:  # the plan decides which archived posts to read again; links find only new ones
            fresh = [post for post in fresh if not self.archived(post)]
            if self._budget_left is not None:
                fresh = fresh[: self._budget_left]
                self._budget_left -= len(fresh)
        for request in self.unrequested(r for url in fresh if (r := self.article_request(url)) is not None):
            request.headers.setdefault("Referer", referer)
            engine.crawl(request)

    def on_error(self, failure: Failure) -> Iterator[PageItem | Request]:
        """Turn a failed fetch into a failure item, so the archive records it and the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        signal_callbacks = (
            self.parse_modified_feed,
            self.parse_comments_feed,
            self.parse_rest_posts,
            self.parse_rest_comments,
        )
        if request.callback in signal_callbacks:
            # A signal that does not answer is no failure of the archive: the plan goes without it.
            self.logger.info("Change signal unavailable: %s (%s)", request.url, failure_reason(failure))
            yield from self.discovery_done()
            return
        if failure.check(RedirectRefused):
            self.crawler.stats.inc_value(counters.FETCH_FAILED)
            first = request.meta.get("redirect_urls", [request.url])[0]  # the post's own URL, not the last hop
            yield self.failure_item(first, failure.value.status, str(failure.value))
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            if request.callback in (self.parse_robots, self.parse_sitemap):
                self._sitemap_failed = True
                yield from self.sitemap_done()
            return  # skipped on purpose (sitemap lastmod, robots.txt, a stopping crawl): not a failure
        status = failure.value.response.status if failure.check(HttpError) else None
        reason = f"HTTP {status}" if status else failure_reason(failure)
        if request.callback == self.parse_robots:
            # No robots.txt: WordPress still serves its core sitemap. A 404 here is normal, not a failure.
            yield from self.sitemap_requests([f"{self.origin}/wp-sitemap.xml"])
            yield from self.sitemap_done()
            if status == 404:
                return
        elif request.callback == self.parse_sitemap:
            self._sitemap_failed = True
            yield from self.sitemap_done()
        self.crawler.stats.inc_value(counters.FETCH_FAILED)
        if request.callback != self.parse_article:
            self.logger.warning("Could not fetch %s: %s", request.url, reason)
        yield self.failure_item(request.url, status, reason)

    @staticmethod
    def failure_item(url: str, status: int | None, reason: str) -> PageItem:
        return PageItem(url=url, request_url=url, status=status, fetched_at=datetime.now(CST), failure=reason)


# Transport failures, as the archive's failures table words them (Scrapy and Twisted name them by class).
_TRANSPORT_REASONS = (
    ("DataLoss", "response cut short: the server sent fewer bytes than its Content-Length"),
    ("ConnectionLost", "connection lost before the whole response came (closed or reset by the server)"),
    ("ConnectionRefused", "connection refused"),
    ("ResponseNeverReceived", "no response: the connection closed before the server answered"),
    ("DNSLookupError", "DNS lookup failed"),
)


_TOO_BIG = re.compile(r"[Rr]eceived? (?P<size>\d+) bytes which is larger than download max size \((?P<limit>\d+)\)")


def failure_reason(failure: Failure) -> str:
    """One readable line for a fetch that failed below HTTP (timeouts keep Scrapy's own message)."""
    name, message = type(failure.value).__name__, failure.getErrorMessage()
    if "Timeout" in name:
        return f"timed out: {message}"
    too_big = _TOO_BIG.search(message)
    if too_big:  # Scrapy's DOWNLOAD_MAXSIZE cancellation (announced by Content-Length or met while reading)
        size, limit = int(too_big["size"]), int(too_big["limit"])
        return f"page larger than the {limit / 2**20:g} MiB download limit (DOWNLOAD_MAXSIZE): {size:,} bytes"
    for marker, reason in _TRANSPORT_REASONS:
        if marker in name or marker in message:
            return f"{reason} ({name})"
    return f"{name}: {message}" if message else name


def check_site(site: str) -> str:
    """The site root without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlparse(site)
    if parts.scheme not in WEB_SCHEMES or not parts.hostname:
        raise ValueError(f"--site must be an http(s) URL such as {CANONICAL_SITE}, got {site!r}")
    return site.rstrip("/")


def _int_header(response: Response, name: bytes) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _header_charset(response: Response) -> str | None:
    return content_type_charset(response.headers.get(b"Content-Type", b"").decode("latin-1"))
