"""An article's links to other posts, and every post permalink of a page.

The theme extractor fills an Article's related posts and neighbours with :func:`related_links` and
:func:`neighbour_link`, and the spider follows what :func:`links_to_follow` returns, so there is one
parser of the site's links, not two. :func:`post_links` knows no theme: the permalink shape alone.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from ..records import Link
from ..urls import POST_PATH, WEB_SCHEMES, same_site
from .dates import normalise_day
from .html import HtmlElement, absolute, by_class, first, first_in, first_text, has_class, select, text_of

_DATE_TEXT = re.compile(r"\d{4}[-年/.]\d{1,2}|\d+\s*(?:秒|分钟|小时|天|周)前|昨天|前天")


def _first_of(element: HtmlElement, *xpaths: str) -> HtmlElement | None:
    """The first match of the first XPath that matches anything."""
    for xpath in xpaths:
        found = first(element, xpath)
        if found is not None:
            return found
    return None


def _related_anchors(doc: HtmlElement) -> list[tuple[HtmlElement, HtmlElement]]:
    """Each related post's list item and the anchor that links it, in page order."""
    container = next(
        (
            element
            for element in by_class(doc, "entry-related-posts", "entry-related")
            if element.tag == "ul" or "entry-related-posts" in (element.get("class") or "").split()
        ),
        None,
    )
    if container is None:
        return []
    anchors = []
    for item in select(container, f".//li[{has_class('item')}] | .//ul[{has_class('entry-related')}]/li"):
        anchor = _first_of(
            item,
            f".//*[{has_class('item-title')}]//a[@href]",
            ".//a[@href][span]",
            f".//a[@href][not({has_class('item-category')})][normalize-space()]",
        )
        if anchor is not None:
            anchors.append((item, anchor))
    return anchors


def related_links(doc: HtmlElement, base: str, now: datetime | None = None) -> list[Link]:
    """Related posts in either list style (post-loop cards or ``li.item > a > span`` + ``span.date``)."""
    links: list[Link] = []
    for item, anchor in _related_anchors(doc):
        url = absolute(base, anchor.get("href"))
        if not url or any(link.url == url for link in links):
            continue
        title_span = first(anchor, f"./span[not({has_class('date')})]")
        title = text_of(title_span) if title_span is not None else text_of(anchor) or (anchor.get("title") or "")
        date_text = first_text(item, f".//*[{has_class('date')}]") or next(
            (
                text
                for text in (text_of(span) for span in select(item, "./span | ./div/span"))
                if _DATE_TEXT.search(text)
            ),
            "",
        )
        links.append(Link(url=url, title=title, date=normalise_day(date_text, now)))
    return links


def _neighbour_anchor(doc: HtmlElement, rel: str) -> HtmlElement | None:
    anchor = first_in(by_class(doc, "entry-page"), f".//a[@rel='{rel}']")
    if anchor is None:  # not `or`: an element without children is false
        anchor = first_in(by_class(doc, f"entry-page-{rel}"), ".//a[@href]")
    return anchor


def neighbour_link(doc: HtmlElement, base: str, rel: str, now: datetime | None = None) -> Link | None:
    """The previous (``rel='prev'``) or next post link of the theme's entry-page block."""
    anchor = _neighbour_anchor(doc, rel)
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
    block = select(anchor, f"ancestor::*[{has_class('entry-page-' + rel)}][1]")
    date = None
    if block:
        for text in select(block[0], f".//*[{has_class('entry-page-info')}]//text()"):
            if _DATE_TEXT.search(text):
                date = normalise_day(text, now)
                break
    return Link(url=url, title=title, date=date)


def links_to_follow(doc: HtmlElement, url: str) -> list[str]:
    """The post URLs a crawler follows from an article page: its related posts and its previous and
    next posts; every post link of the page when the theme's blocks are not there (a renamed theme
    must not stop discovery)."""
    related: list[str] = []
    for _, anchor in _related_anchors(doc):  # the anchors related_links reads, without titles and dates
        link = absolute(url, anchor.get("href"))
        if link and link not in related:
            related.append(link)
    neighbours = [
        link
        for rel in ("prev", "next")
        if (anchor := _neighbour_anchor(doc, rel)) is not None and (link := absolute(url, anchor.get("href")))
    ]
    return (related + neighbours) or post_links(doc, url)


def post_url(href: str | None, base: str) -> str:
    """``href`` as an absolute same-site post permalink (``/{digits}.html``), query and fragment dropped;
    '' when it is anything else."""
    if not href or ".html" not in href:  # cheap refusal first: most links of a page are not posts
        return ""
    url = absolute(base, href)
    if not url or not same_site(url, base):
        return ""
    parts = urlsplit(url)
    if parts.scheme not in WEB_SCHEMES or not POST_PATH.match(parts.path):
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def post_links(doc: HtmlElement, base: str) -> list[str]:
    """Every same-site post link of the page (``a``/``area`` whose path is ``/{digits}.html``), absolute,
    query and fragment dropped, deduplicated in document order. No theme knowledge: the spider's
    discovery on pages the theme rules do not recognise. The page's own URL is kept if it links itself."""
    urls: dict[str, None] = {}
    for href in select(doc, "//a/@href | //area/@href"):
        url = post_url(href, base)
        if url:
            urls.setdefault(url, None)
    return list(urls)
