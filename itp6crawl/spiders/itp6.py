"""The ``itp6`` spider: discovers article pages and fetches them, nothing more.

Discovery: robots.txt -> WordPress sitemaps, the home and category listings (following pagination,
never the home page's empty /page/n), and each article's related, previous and next links. Every
fetched article becomes a :class:`PageItem`; the pipelines extract, segment and store it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlparse, urlunparse

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from ..extract import decode_html
from ..extract.html import ExtractionError, parse_document
from ..extract.links import neighbour_link, parse_listing, related_links
from ..items import PageItem
from ..models import CST, same_site

POST_PATH = re.compile(r"^/\d+\.html$")
CATEGORY_PATH = re.compile(r"^/category/[^/]+/(?:page/\d+/)?$")


class Itp6Spider(Spider):
    name = "itp6"

    def __init__(self, site: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = check_site(site or "https://www.itp6.com")
        # Offsite filtering by domain (www. and its parent both allowed); site_url() checks the port too.
        self.allowed_domains = [(urlparse(self.site).hostname or "").removeprefix("www.")]

    async def start(self) -> AsyncIterator[Request]:
        yield Request(f"{self.site}/robots.txt", callback=self.parse_robots, errback=self.on_error)
        yield Request(f"{self.site}/", callback=self.parse_listing, errback=self.on_error)

    # -- URLs ---------------------------------------------------------------------------------------

    def site_url(self, url: str, pattern: re.Pattern[str]) -> str | None:
        """``url`` on this site with a path matching ``pattern``, query and fragment dropped; else None.

        The site's own spelling wins over ours: links may say https://www. where --site said http://."""
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not same_site(url, self.site) or not pattern.match(parts.path):
            return None
        return urlunparse((parts.scheme, parts.netloc, parts.path, "", "", ""))

    def article_request(self, url: str) -> Request | None:
        url = self.site_url(url, POST_PATH)
        return Request(url, callback=self.parse_article, errback=self.on_error) if url else None

    # -- callbacks ----------------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        for url in sitemaps or [f"{self.site}/wp-sitemap.xml"]:
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception as error:  # lxml raises several types for non-XML bodies
            self.crawler.stats.inc_value("itp6/sitemap_invalid")
            self.logger.warning("Ignoring invalid sitemap %s: %s", response.url, error)
            return
        for entry in sitemap:
            loc = entry.get("loc", "")
            if sitemap.type == "sitemapindex":
                yield Request(loc, callback=self.parse_sitemap, errback=self.on_error)
            elif (request := self.article_request(loc)) is not None:
                yield request
            elif (category := self.site_url(loc, CATEGORY_PATH)) is not None:
                yield Request(category, callback=self.parse_listing, errback=self.on_error)

    def parse_listing(self, response: Response) -> Iterator[Request | PageItem]:
        try:
            doc = parse_document(decode_html(response.body, _header_charset(response)))
        except ExtractionError as error:
            yield self.failure_item(response.url, response.status, f"listing unreadable: {error}")
            return
        listing = parse_listing(doc, response.url)
        for url in listing.article_urls:
            if (request := self.article_request(url)) is not None:
                yield request
        for url in listing.category_urls:
            if (category := self.site_url(url, CATEGORY_PATH)) is not None:
                yield Request(category, callback=self.parse_listing, errback=self.on_error)
        # The theme empties the home page's /page/n, so only category listings paginate.
        if listing.next_page and self.site_url(listing.next_page, CATEGORY_PATH):
            yield Request(listing.next_page, callback=self.parse_listing, errback=self.on_error)

    def parse_article(self, response: Response) -> Iterator[PageItem | Request]:
        yield PageItem(
            url=response.url,
            request_url=response.request.url if response.request else response.url,
            status=response.status,
            fetched_at=datetime.now(CST),
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body,
            charset=_header_charset(response),
        )
        try:
            doc = parse_document(decode_html(response.body, _header_charset(response)))
        except ExtractionError:
            return  # the pipeline records why
        links = related_links(doc, response.url) + [
            link for rel in ("prev", "next") if (link := neighbour_link(doc, response.url, rel))
        ]
        for link in links:
            if (request := self.article_request(link.url)) is not None:
                yield request

    def on_error(self, failure: Failure) -> Iterator[PageItem | Request]:
        """Turn a failed fetch into a failure item, so the archive records it and the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        status = failure.value.response.status if failure.check(HttpError) else None
        reason = f"HTTP {status}" if status else f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
        if request.callback == self.parse_robots:
            # No robots.txt: WordPress still serves its core sitemap. A 404 here is normal, not a failure.
            yield Request(f"{self.site}/wp-sitemap.xml", callback=self.parse_sitemap, errback=self.on_error)
            if status == 404:
                return
        self.crawler.stats.inc_value("itp6/fetch_failed")
        if request.callback != self.parse_article:
            self.logger.warning("Could not fetch %s: %s", request.url, reason)
        yield self.failure_item(request.url, status, reason)

    @staticmethod
    def failure_item(url: str, status: int | None, reason: str) -> PageItem:
        return PageItem(url=url, request_url=url, status=status, fetched_at=datetime.now(CST), failure=reason)


def check_site(site: str) -> str:
    """The site root without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlparse(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--site must be an http(s) URL such as https://www.itp6.com, got {site!r}")
    return site.rstrip("/")


def _header_charset(response: Response) -> str | None:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    match = re.search(r"charset=([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None
