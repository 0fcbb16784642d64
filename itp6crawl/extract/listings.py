"""Listing pages (the home page, categories): the posts they show and the next page to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..urls import CATEGORY_PATH, same_site
from .html import HtmlElement, absolute, first_text, has_class, select
from .links import post_links


@dataclass(slots=True)
class Listing:
    """What a category or home listing page offers: article URLs, the next page, other listings."""

    article_urls: list[str] = field(default_factory=list)
    next_page: str | None = None
    category_urls: list[str] = field(default_factory=list)


def parse_listing(doc: HtmlElement, base: str) -> Listing:
    """Article links and pagination of a listing page (``ul.post-loop``, ``ul.pagination``, load-more).

    On markup the theme rules do not recognise, the article links are :func:`post_links` and the next
    page is a ``rel="next"`` link or a link to ``/category/{slug}/page/{n+1}`` of the current category.
    Category URLs are collected as written, with or without a trailing slash (the spider canonicalises)."""
    listing = Listing()
    anchors = select(doc, f"//ul[{has_class('post-loop')}]/li//*[{has_class('item-title')}]//a[@href]")
    for anchor in anchors:
        url = absolute(base, anchor.get("href"))
        if url and url not in listing.article_urls:
            listing.article_urls.append(url)
    if not listing.article_urls:  # markup the theme rules do not know: every post link of the page
        listing.article_urls = post_links(doc, base)
    next_href = (
        first_text(doc, f"//*[{has_class('pagination')}]//li[{has_class('next')}]/a/@href")
        or first_text(doc, f"//*[{has_class('pagination')}]//a[{has_class('next')}]/@href")
        or first_text(doc, f"//a[{has_class('load-more')}]/@href")
        or first_text(doc, "//link[@rel='next']/@href")
        or _generic_next_page(doc, base)
    )
    listing.next_page = absolute(base, next_href) or None
    for href in select(doc, "//a[contains(@href, '/category/')]/@href"):
        url = absolute(base, href)
        if url and "/page/" not in url and url not in listing.category_urls:
            listing.category_urls.append(url)
    return listing


def _current_category(base: str) -> tuple[str, int] | None:
    """(slug, page number) of a category listing URL, with or without trailing slash; else None."""
    match = CATEGORY_PATH.match(urlsplit(base).path)
    return (match["slug"], int(match["page"] or 1)) if match else None


def _generic_next_page(doc: HtmlElement, base: str) -> str:
    """The next listing page by ``rel="next"`` or by the WordPress category pagination URL shape."""
    for href in select(doc, "//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"):
        url = absolute(base, href)
        if url and same_site(url, base):
            return url
    current = _current_category(base)
    if current is None:
        return ""
    slug, page = current
    for href in select(doc, "//a[contains(@href, '/page/')]/@href"):
        url = absolute(base, href)
        if not url or not same_site(url, base):
            continue
        target = _current_category(url)
        if target is not None and target == (slug, page + 1) and "/page/" in urlsplit(url).path:
            return url
    return ""
