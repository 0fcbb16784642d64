"""The records that travel through the pipeline: what extraction returns and the archive stores.

Plain dataclasses, no Scrapy and no SQLite, so every layer can use them.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

# China Standard Time: every timestamp of the site and the archive is in it.
CST = timezone(timedelta(hours=8), "CST")


def iso(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS+08:00``; naive datetimes are taken as China time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.astimezone(CST).replace(microsecond=0).isoformat()


_POST_PATH = re.compile(r"^/(\d+)\.html$")


def post_id_from_url(url: str) -> int | None:
    """The WordPress post id of a permalink ``/{id}.html`` (any scheme, query or fragment), else None."""
    match = _POST_PATH.match(urlparse(url).path)
    return int(match.group(1)) if match else None


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlparse(url)
    port = parts.port if parts.port not in (80, 443) else None
    return (parts.hostname or "").removeprefix("www."), port


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same site: same host give or take ``www.``, any scheme, and the same
    port where one is written out (two servers on one machine are two sites)."""
    return _site_key(url) == _site_key(other)


@dataclass(slots=True)
class Image:
    src: str
    alt: str = ""
    caption: str = ""


@dataclass(slots=True)
class Link:
    """A link from one article to another page: related post, previous or next post."""

    url: str
    title: str = ""
    date: str | None = None  # as ISO date (YYYY-MM-DD) where the page shows one


@dataclass(slots=True)
class Comment:
    author: str
    text: str
    time: str | None = None  # ISO 8601 with +08:00
    comment_id: int | None = None
    parent_id: int | None = None


@dataclass(slots=True)
class Segments:
    """The search columns of an article, made by segmentation (jieba-compatible tokens)."""

    title_seg: str = ""
    body_seg: str = ""
    search_extra: str = ""


@dataclass(slots=True)
class Article:
    """One article page, extracted. ``to_dict`` gives the public JSON form."""

    url: str
    id: int | None = None
    title: str = ""
    author: str = ""
    credit: str = ""
    published_at: str | None = None
    modified_at: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    body_text: str = ""
    body_html: str = ""
    images: list[Image] = field(default_factory=list)
    views: int | None = None
    likes: int | None = None
    related: list[Link] = field(default_factory=list)
    prev: Link | None = None
    next: Link | None = None
    comments: list[Comment] = field(default_factory=list)
    extractor: str = "theme"  # 'theme' or 'fallback'
    theme: str | None = None  # 'justnews6', 'justnews5' or None when unrecognised
    warnings: list[str] = field(default_factory=list)

    @property
    def prev_url(self) -> str | None:
        return self.prev.url if self.prev else None

    @property
    def next_url(self) -> str | None:
        return self.next.url if self.next else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["prev_url"] = self.prev_url
        data["next_url"] = self.next_url
        return data


# -- the site's own URLs in one canonical form -------------------------------------------------------

CANONICAL_SITE = "https://www.itp6.com"
_LISTING_PATH = re.compile(r"^/(category|tag|author)/([^/]+)(?:/page/(\d+))?/?$")


def canonical_path(path: str) -> str:
    """One spelling of a path of the site: listings without the trailing slash and without ``/page/1``
    (WordPress's own form for ``.html`` permalinks); other paths unchanged."""
    match = _LISTING_PATH.match(path)
    if not match:
        return path or "/"
    kind, slug, page = match.groups()
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
    keep_query = parts.query and not (_POST_PATH.match(path) or _LISTING_PATH.match(path))
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
        return canonical_url(url, target) if _POST_PATH.match(urlparse(url).path) else pattern.sub(target, url, 1)

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
