"""Generic extraction for markup the theme rules do not recognise.

trafilatura (precision settings) finds the main text; our own knowledge of the site then prunes what
a generic extractor keeps: the notice lines (disclaimer, tip, 作者/链接, copyright) and lone button
labels. Metadata comes from the head and from WordPress conventions that survive a theme change
(``rel="category tag"``, ``rel="tag"``, ``rel="prev"/"next"``, ``time[datetime]``).
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.htmlprocessing import convert_to_html

from ..models import Article, Link
from .boilerplate import is_chrome_line
from .clean import Body, clean_body, credit_from_lines, text_blocks
from .dates import normalise_datetime
from .html import HtmlElement, absolute, first, first_text, text_of
from .meta import HeadMeta

# trafilatura logs a warning for every page it finds too short; we report that ourselves.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# Chrome that every theme marks the same way; removed before trafilatura sees the page.
_PRUNE_XPATH = [
    "//*[@id='comments' or @id='respond' or @id='secondary' or @id='footer' or @id='header']",
    "//aside", "//footer", "//nav", "//form",
    "//*[@rel='prev' or @rel='next']/ancestor::*[self::div or self::nav][1]",
]


def _prune_site_lines(root: HtmlElement) -> list[str]:
    """Drop elements whose every line is a notice line or a lone button label; return those lines."""
    removed: list[str] = []
    for element in reversed(list(root.iter("p", "div", "li", "span", "h2", "h3", "h4", "blockquote", "td"))):
        if element is root or element.getparent() is None:
            continue
        lines = text_blocks(element)
        if lines and all(is_chrome_line(line) for line in lines):
            removed[:0] = lines
            element.drop_tree()
    return removed


def generic_body(doc: HtmlElement, url: str) -> Body:
    """Main content by trafilatura, cleaned and pruned of the site's boilerplate lines."""
    result = trafilatura.bare_extraction(
        copy.deepcopy(doc),
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
        prune_xpath=_PRUNE_XPATH,
    )
    if result is None or result.body is None:
        return Body()
    # trafilatura builds plain lxml.etree elements; re-parse as lxml.html for the shared cleaner.
    markup = etree.tostring(convert_to_html(result.body), encoding="unicode")
    content = lxml.html.document_fromstring(markup).find("body")
    removed = _prune_site_lines(content)
    body = clean_body(content, url, prune_chrome_classes=False)
    body.credit = body.credit or credit_from_lines(removed)
    body.blocks = [block for block in body.blocks if not is_chrome_line(block)]
    return body


def _rel_link(doc: HtmlElement, base: str, rel: str) -> Link | None:
    anchor = first(doc, f"//body//a[@rel='{rel}'][@href]")
    if anchor is None:
        return None
    url = absolute(base, anchor.get("href"))
    return Link(url=url, title=anchor.get("title") or text_of(anchor)) if url else None


def extract_generic_from_tree(doc: HtmlElement, url: str, head: HeadMeta, now: datetime | None) -> Article:
    canonical = head.canonical or url
    body = generic_body(doc, canonical)
    h1 = first_text(doc, "//body//h1")
    published = normalise_datetime(first_text(doc, "//body//time/@datetime"), now) or normalise_datetime(
        head.published, now
    )
    return Article(
        url=canonical,
        id=head.post_id,
        title=h1 if h1 and (not head.title or h1 in head.title or head.title in h1) else head.title or h1,
        author=head.author,
        credit=body.credit,
        published_at=published,
        modified_at=normalise_datetime(head.modified, now),
        categories=list(dict.fromkeys(text_of(a) for a in doc.xpath("//body//a[contains(@rel, 'category')]")))
        or head.section,
        tags=list(dict.fromkeys(text_of(a) for a in doc.xpath("//body//a[@rel='tag']"))) or head.keywords,
        summary="",
        body_text=body.text,
        body_html=body.html,
        images=body.images,
        prev=_rel_link(doc, canonical, "prev"),
        next=_rel_link(doc, canonical, "next"),
        extractor="fallback",
    )
