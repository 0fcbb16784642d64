"""The site's URLs: the shapes of its paths, which host is the site, and one canonical spelling.

Every layer asks here, so spider, extractor, middlewares and archive agree on what a post, a listing
and the site are. Plain stdlib: extraction stays pure.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import ParseResult, unquote, urlparse, urlsplit, urlunsplit

from .records import Article

# The site every archived URL is written on, whatever server (http, a mirror, the replica) served it.
CANONICAL_SITE = "https://www.itp6.com"
# The schemes the site is fetched over; its pages are the same page over either.
WEB_SCHEMES = ("http", "https")

# A post's permalink, WordPress's ``/{id}.html``: matched against a URL's path.
POST_PATH = re.compile(r"^/(?P<id>\d+)\.html$")
# Listings of posts by category, tag or author, with or without the trailing slash (the site's own links
# come without it), and their pages.
LISTING_KINDS = ("category", "tag", "author")
LISTING_PREFIXES = tuple(f"/{kind}/" for kind in LISTING_KINDS)  # how a listing's path starts
_LISTING_TAIL = r"/(?P<slug>[^/]+)(?:/page/(?P<page>\d+))?/?$"
LISTING_PATH = re.compile(rf"^/(?P<kind>{'|'.join(LISTING_KINDS)}){_LISTING_TAIL}")
# The listings the crawl paginates and follows: the categories (tags and authors show the same posts).
CATEGORY_PATH = re.compile(rf"^/(?P<kind>category){_LISTING_TAIL}")


def post_id_from_url(url: str) -> int | None:
    """The WordPress post id of a permalink ``/{id}.html`` (any scheme, query or fragment), else None."""
    match = POST_PATH.match(urlparse(url).path)
    return int(match["id"]) if match else None


def site_host(url: str) -> str:
    """The host of ``url`` without ``www.``: the site's host whichever of the two spellings served it."""
    return _host(urlparse(url))


def _host(parts: ParseResult) -> str:
    return (parts.hostname or "").removeprefix("www.")


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlparse(url)  # once: same_site runs for every post link of a page
    port = parts.port
    return _host(parts), port if port not in (80, 443) else None


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same site: same host give or take ``www.``, any scheme, and the same
    port where one is written out (two servers on one machine are two sites)."""
    return _site_key(url) == _site_key(other)


# -- the site's own URLs in one canonical form -------------------------------------------------------


def canonical_path(path: str) -> str:
    """One spelling of a path of the site: listings without the trailing slash and without ``/page/1``
    (WordPress's own form for ``.html`` permalinks); other paths unchanged."""
    match = LISTING_PATH.match(path)
    if not match:
        return path or "/"
    kind, slug, page = match["kind"], match["slug"], match["page"]
    return f"/{kind}/{slug}" + (f"/page/{page}" if page and page != "1" else "")


def canonical_url(url: str, canonical_site: str = CANONICAL_SITE) -> str:
    """``url`` rebased on ``canonical_site`` (scheme, host and port dropped), fragment dropped; query
    dropped for posts and listings, whose content does not depend on it (``?replytocom=``, tracking)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    # A ";params" part of the last segment goes, whatever the scheme: urlparse split it off for http(s)
    # only, so "a:;" gave ".../;" and that, read again as https, ".../" (not idempotent).
    params = path.find(";", path.rfind("/"))
    path = canonical_path(path if params < 0 else path[:params])
    keep_query = parts.query and not (POST_PATH.match(path) or LISTING_PATH.match(path))
    return canonical_site.rstrip("/") + path + (f"?{parts.query}" if keep_query else "")


def redact_url(url: str) -> str:
    """``url`` as it may be shown: a password in it replaced by ``***`` (``http://user:***@host/``).
    Never fails: what cannot be parsed as a URL is returned with everything up to an ``@`` masked."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return re.sub(r"(?<=//)[^/@]*@", "***@", url)
    if password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def without_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without its ``user:password@``, and the (percent-decoded) user and password it held."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.netloc.rpartition("@")[2]
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    return urlunsplit(parts._replace(netloc=host)), user, password


def origin_pattern(site: str) -> re.Pattern[str]:
    """Every spelling of ``site``'s origin in an attribute value: http or https or scheme-relative,
    with or without ``www.``, with the site's port where it has one."""
    host, port = _site_key(site)
    port_part = f":{port}" if port else "(?::(?:80|443))?"
    return re.compile(rf"(?:https?:)?//(?:www\.)?{re.escape(host)}{port_part}(?=[/\"'?#\s]|$)", re.IGNORECASE)


def rebase_article(article: Article, site: str, canonical_site: str = CANONICAL_SITE) -> Article:
    """The article with every URL of ``site`` (the server it was fetched from: the live site over http
    or https, a mirror, the local replica on any port) rewritten to ``canonical_site``, so the archive
    keeps one identity per page whatever served it. URLs of other sites are left alone."""
    pattern = origin_pattern(site)
    target = canonical_site.rstrip("/")

    def rebase(url: str) -> str:
        if not pattern.match(url):
            return url
        return canonical_url(url, target) if POST_PATH.match(urlparse(url).path) else pattern.sub(target, url, 1)

    article.url = rebase(article.url)
    article.body_html = pattern.sub(target, article.body_html)
    for image in article.images:
        image.src = rebase(image.src)
    for link in [*article.related, article.prev, article.next]:
        if link is not None:
            link.url = rebase(link.url)
    return article


def is_loopback(site: str, *, resolve: bool = False) -> bool:
    """Whether ``site``'s host is this machine (the replica, a local copy): ``localhost`` or a loopback
    address, or with ``resolve`` a name that resolves to one (the crawl asks; an export never looks up
    names)."""
    host = urlparse(site).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        if not resolve:
            return False
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False
