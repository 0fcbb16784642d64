"""Links between pages: related posts, prev/next, category listings and sitemaps.

The theme extractor fills an Article's links with these functions, and the spider follows what they
return, so there is one parser of the site's links, not two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..models import Link
from .dates import normalise_day
from .html import HtmlElement, absolute, first, first_text, has_class, text_of

_DATE_TEXT = re.compile(r"\d{4}[-年/.]\d{1,2}|\d+\s*(?:秒|分钟|小时|天|周)前|昨天|前天")


def _first_of(element: HtmlElement, *xpaths: str) -> HtmlElement | None:
    """The first match of the first XPath that matches anything."""
    for xpath in xpaths:
        found = first(element, xpath)
        if found is not None:
            return found
    return None


def related_links(doc: HtmlElement, base: str, now: datetime | None = None) -> list[Link]:
    """Related posts in either list style (post-loop cards or ``li.item > a > span`` + ``span.date``)."""
    container = first(doc, f"//*[{has_class('entry-related-posts')}] | //ul[{has_class('entry-related')}]")
    if container is None:
        return []
    links: list[Link] = []
    for item in container.xpath(f".//li[{has_class('item')}] | .//ul[{has_class('entry-related')}]/li"):
        anchor = _first_of(
            item,
            f".//*[{has_class('item-title')}]//a[@href]",
            ".//a[@href][span]",
            f".//a[@href][not({has_class('item-category')})][normalize-space()]",
        )
        if anchor is None:
            continue
        url = absolute(base, anchor.get("href"))
        if not url or any(link.url == url for link in links):
            continue
        title_span = first(anchor, f"./span[not({has_class('date')})]")
        title = text_of(title_span) if title_span is not None else text_of(anchor) or (anchor.get("title") or "")
        date_text = first_text(item, f".//*[{has_class('date')}]") or next(
            (text for text in (text_of(span) for span in item.xpath("./span | ./div/span")) if _DATE_TEXT.search(text)),
            "",
        )
        links.append(Link(url=url, title=title, date=normalise_day(date_text, now)))
    return links


def neighbour_link(doc: HtmlElement, base: str, rel: str, now: datetime | None = None) -> Link | None:
    """The previous (``rel='prev'``) or next post link of the theme's entry-page block."""
    scope = f"//*[{has_class('entry-page')}]"
    anchor = _first_of(doc, f"{scope}//a[@rel='{rel}']", f"//*[{has_class('entry-page-' + rel)}]//a[@href]")
    if anchor is None:
        return None
    url = absolute(base, anchor.get("href"))
    if not url:
        return None
    title = anchor.get("title") or ""
    if not title:
        title_node = first(
            anchor,
            f".//*[{has_class('entry-page-title')}] | ./span[not(ancestor::*[{has_class('entry-page-info')}])][1]",
        )
        title = text_of(title_node) if title_node is not None else text_of(anchor)
    title = re.sub(r"^[«‹]?\s*(上一篇|下一篇)\s*[»›]?\s*[:：]?\s*", "", title).strip()
    block = anchor.xpath(f"ancestor::*[{has_class('entry-page-' + rel)}][1]")
    date = None
    if block:
        for text in block[0].xpath(f".//*[{has_class('entry-page-info')}]//text()"):
            if _DATE_TEXT.search(text):
                date = normalise_day(text, now)
                break
    return Link(url=url, title=title, date=date)


@dataclass(slots=True)
class Listing:
    """What a category or home listing page offers: article URLs, the next page, other listings."""

    article_urls: list[str] = field(default_factory=list)
    next_page: str | None = None
    category_urls: list[str] = field(default_factory=list)


def parse_listing(doc: HtmlElement, base: str) -> Listing:
    """Article links and pagination of a listing page (``ul.post-loop``, ``ul.pagination``, load-more)."""
    listing = Listing()
    anchors = doc.xpath(f"//ul[{has_class('post-loop')}]/li//*[{has_class('item-title')}]//a[@href]")
    for anchor in anchors:
        url = absolute(base, anchor.get("href"))
        if url and url not in listing.article_urls:
            listing.article_urls.append(url)
    next_href = (
        first_text(doc, f"//*[{has_class('pagination')}]//li[{has_class('next')}]/a/@href")
        or first_text(doc, f"//*[{has_class('pagination')}]//a[{has_class('next')}]/@href")
        or first_text(doc, f"//a[{has_class('load-more')}]/@href")
        or first_text(doc, "//link[@rel='next']/@href")
    )
    listing.next_page = absolute(base, next_href) or None
    for href in doc.xpath("//a[contains(@href, '/category/')]/@href"):
        url = absolute(base, href)
        if url and "/page/" not in url and url not in listing.category_urls:
            listing.category_urls.append(url)
    return listing
