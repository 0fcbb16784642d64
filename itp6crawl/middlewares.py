"""Downloader middlewares: conditional requests from the archive's crawl state, and WARC capture.

``ConditionalRequestMiddleware`` (near the engine) skips a post whose sitemap ``lastmod`` is not newer
than its last fetch and adds ``If-None-Match`` / ``If-Modified-Since`` from the stored validators, as
Scrapy's ``RFC2616Policy`` does from its cache; but the validators come from ``crawl_state`` and no
body is stored twice (scrapy-deltafetch is broken on Scrapy >= 2.16; HttpCache keeps a second copy of
every page and never purges it). A 304 goes to the spider, which records it as "not modified".

``RedirectGuardMiddleware`` (just outside Scrapy's redirect handling) refuses, with its reason, a post's
redirect loop, a redirect off the site and too long a chain, which Scrapy would drop without a word.

``WarcMiddleware`` (next to the downloader) writes every response as it came from the network (and
the request that was sent) into the run's WARC file; a 304 becomes a revisit record.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from urllib.parse import urldefrag, urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from . import counters
from .completeness import coding_problem
from .session import WRITE_ERRORS, CrawlSession
from .times import CST, iso, parse_iso
from .urls import canonical_url, same_site

# request.meta keys the spider sets and reads.
KIND = "itp6_kind"  # 'article' or 'listing': pages with crawl state
LASTMOD = "itp6_lastmod"  # the sitemap's lastmod for an article, ISO 8601
IN_SITEMAP = "itp6_in_sitemap"  # True when a sitemap listed the article
WARC = "itp6_warc"  # (file, offset) of the response's WARC record, set by WarcMiddleware
FETCHED_AT = "itp6_fetched_at"  # the WARC-Date of that record, so a reindex reproduces the crawl exactly
REASON = "itp6_reason"  # why the revisit plan requests a post (revisit.Reason): never skipped by its lastmod
INCOMPLETE = "itp6_incomplete"  # why the body as received is not whole (a cut gzip stream), set by WarcMiddleware


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        kind = request.meta.get(KIND)
        archive = self.session.archive
        if kind is None or archive is None or self.session.full:
            return
        state = archive.state.get(canonical_url(request.url, self.session.canonical_site))
        if state is None or state.status not in (200, 304):
            return
        if kind == "listing" and not self.session.previous_complete:
            return  # the last run may have stopped before following this listing's links: read it whole
        planned = REASON in request.meta
        if (
            kind == "article"
            and not planned
            and not_newer(request.meta.get(LASTMOD), state.fetched_at, state.sitemap_lastmod)
        ):
            self.crawler.stats.inc_value(counters.SKIPPED_LASTMOD)
            raise IgnoreRequest(f"not modified since the last fetch (sitemap lastmod): {request.url}")
        if state.etag:
            request.headers.setdefault("If-None-Match", state.etag)
        if state.last_modified:
            request.headers.setdefault("If-Modified-Since", state.last_modified)
        if state.etag or state.last_modified:
            self.crawler.stats.inc_value(counters.CONDITIONAL_REQUESTS)

    def process_response(self, request: Request, response: Response) -> Response:
        self.crawler.stats.inc_value(counters.NOT_MODIFIED if response.status == 304 else counters.FETCHED)
        archive = self.session.archive
        if request.meta.get(KIND) == "listing" and response.status == 200 and archive is not None:
            # A listing's validators, so the next run asks it conditionally (its links are the spider's).
            try:
                archive.state.record(
                    canonical_url(response.url, self.session.canonical_site),
                    status=200,
                    etag=_header(response, b"ETag"),
                    last_modified=_header(response, b"Last-Modified"),
                    fetched_at=iso(datetime.now(CST)),
                )
            except WRITE_ERRORS as error:
                self.session.fail(error, f"recording the state of {response.url}")
        return response


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def not_newer(lastmod: str | None, fetched_at: str | None, stored_lastmod: str | None) -> bool:
    """True when the sitemap's ``lastmod`` says nothing changed since the last fetch: it is not newer
    than the lastmod seen then (the site's own clock on both sides), or, when none was seen, than the
    time of the fetch."""
    modified = parse_iso(lastmod) if lastmod else None
    if modified is None:
        return False
    reference = parse_iso(stored_lastmod or fetched_at or "")
    return reference is not None and modified <= reference


class WarcMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.session = CrawlSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if self.session.error is not None:
            raise IgnoreRequest(f"the crawl is stopping: {self.session.error}")
        try:
            warc = self.session.warc()
            if warc is None:
                return response
            fetched_at = datetime.now(CST).replace(microsecond=0)
            exchange = dict(
                url=response.url,
                method=request.method,
                request_headers=_without_secrets(_header_list(request.headers)),
                status=response.status,
                reason=_reason(response.status),
                response_headers=_header_list(response.headers),
                date=fetched_at,
                protocol=response.protocol or "HTTP/1.1",
                ip=str(response.ip_address) if response.ip_address else None,
            )
            if response.status == 304:
                location = warc.write_revisit(**exchange)
            else:
                location = warc.write_exchange(**exchange, body=response.body)
        except WRITE_ERRORS as error:
            self.session.fail(error, f"writing the WARC record of {response.url}")
            raise IgnoreRequest(f"WARC write failed: {error}") from error
        request.meta[WARC] = (location.file, location.offset)
        request.meta[FETCHED_AT] = fetched_at
        if request.meta.get(KIND) == "article" and response.status == 200:
            # Here, before HttpCompressionMiddleware: Scrapy's gunzip returns what it could of a cut stream.
            codings = [value.decode("latin-1") for value in response.headers.getlist(b"Content-Encoding")]
            if problem := coding_problem(response.body, codings):
                request.meta[INCOMPLETE] = problem
        return response


def _header_list(headers: object) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()  # type: ignore[attr-defined]
        for value in values
    ]


SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})


def _without_secrets(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Request headers as the WARC file keeps them: credentials (``--site http://user:password@…`` is sent
    as basic auth) are shown by their scheme only, never in a form anyone could decode."""
    return [
        (name, f"{value.split(' ', 1)[0]} ***" if name.lower() in SECRET_HEADERS else value) for name, value in headers
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class RedirectRefused(IgnoreRequest):
    """A redirect of a post that the crawl does not follow; the spider records it as a failure."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class RedirectGuardMiddleware:
    """Sees a post's 3xx before Scrapy's RedirectMiddleware (600) does. Scrapy would drop a loop as a
    duplicate request, an off-site target in OffsiteMiddleware and a long chain after REDIRECT_MAX_TIMES,
    each without a failure: here each becomes :class:`RedirectRefused` with the chain in its reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if request.meta.get(KIND) != "article" or not 300 <= response.status < 400 or not location:
            return response
        target = urldefrag(urljoin(request.url, location.decode("latin-1").strip())).url
        chain = [*request.meta.get("redirect_urls", []), request.url]
        route = " -> ".join([*chain, target])
        if target in chain:
            reason = f"redirect loop: {route}"
        elif not same_site(target, chain[0]):
            reason = f"redirected off the site: {route}"
        elif len(chain) >= self.max_times:
            reason = f"too many redirects ({len(chain)}): {route}"
        else:
            return response
        self.crawler.stats.inc_value(counters.REDIRECTS_REFUSED)
        raise RedirectRefused(reason, response.status)
