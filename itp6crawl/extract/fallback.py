"""Generic extraction for markup the theme rules do not recognise.

Two maintained extractors read the page: trafilatura (precision settings) and readability-lxml. They
fail differently, so their agreement decides: when readability's text is a tight subset of
trafilatura's covering most of it, trafilatura kept chrome around the article and readability's
reading wins; when trafilatura's text is a small part of readability's, trafilatura lost the article
and readability's wins; otherwise trafilatura's stands. Our own knowledge of the site then prunes
what generic extractors keep: the notice lines (disclaimer, tip, 作者/链接, copyright) and lone button
labels. Metadata comes from the head and from WordPress conventions that survive a theme change
(``rel="category tag"``, ``rel="tag"``, ``time[datetime]``); links to other posts (related, previous,
next) come from :func:`~itp6crawl.extract.generic_links.generic_page_links`, which reads signals that
survive a theme change (``rel="prev"/"next"``, 上一篇/下一篇 labels, a post-link list after the body
headed 相关推荐).
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from datetime import datetime

import trafilatura
from lxml import etree
from readability import Document
from readability.readability import Unparseable
from trafilatura.htmlprocessing import convert_to_html

from ..records import Article
from ..tokens import tokens
from .boilerplate import is_fixed_notice_line, is_notice_line, is_site_line
from .clean import Body, clean_body, credit_from_lines, text_blocks
from .dates import normalise_datetime
from .generic_links import generic_page_links
from .html import HtmlElement, collapse, first_text, html_document, select, text_of
from .meta import HeadMeta

# trafilatura logs a warning for every page it finds too short; we report that ourselves.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# WordPress's comment area, whatever the theme; removed before trafilatura sees the page. (Wider
# pruning such as //form or //aside costs recall on other sites: ASP.NET pages wrap the whole body in a form.)
_PRUNE_XPATH = ["//*[@id='comments' or @id='respond']"]
# Agreement thresholds, tuned on zh-web-content-extraction and checked on the English and renamed sets.
_SUBSET = 0.9  # share of one reading's tokens found in the other
_TIGHTER = 0.7  # readability at least this share of trafilatura's length: a tighter reading of the same
_LOST = 0.5  # trafilatura under this share of readability's length: trafilatura lost the article


def _prune_site_lines(root: HtmlElement, notice_present: bool) -> list[str]:
    """Drop elements whose every line is a notice line or a lone button label; return those lines."""
    removed: list[str] = []
    for element in reversed(list(root.iter("p", "div", "li", "span", "h2", "h3", "h4", "blockquote", "td"))):
        if element is root or element.getparent() is None:
            continue
        lines = text_blocks(element)
        if lines and all(is_site_line(line, notice_present) for line in lines):
            removed[:0] = lines
            element.drop_tree()
    return removed


def _site_body(content: HtmlElement, url: str) -> Body:
    notice_present = any(is_fixed_notice_line(line) for line in text_blocks(content))
    removed = _prune_site_lines(content, notice_present)
    body = clean_body(content, url, prune_chrome_classes=False)
    body.credit = body.credit or credit_from_lines(removed)
    body.blocks = [block for block in body.blocks if not is_site_line(block, notice_present)]
    return body


def trafilatura_body(page: str | HtmlElement, url: str) -> Body:
    """Main content by trafilatura (precision settings), cleaned and pruned of the site's lines.

    Give it the decoded text rather than our tree where possible: its own loader parses some pages
    differently and its heuristics were tuned on that parse (one English benchmark page: F1 0.99 vs 0.67)."""
    result = trafilatura.bare_extraction(
        page,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=False,
        prune_xpath=_PRUNE_XPATH,
    )
    if result is None or result.body is None:
        return Body()
    # trafilatura builds plain lxml.etree elements; re-parse as lxml.html for the shared cleaner.
    markup = etree.tostring(convert_to_html(result.body), encoding="unicode")
    return _site_body(html_document(markup).find("body"), url)


def readability_body(text: str, url: str) -> Body:
    """Main content by readability-lxml, cleaned and pruned of the site's lines."""
    try:
        summary = Document(text, url=url).summary(html_partial=True)
    except Unparseable:
        return Body()
    return _site_body(html_document(f"<html><body>{summary}</body></html>").find("body"), url)


def _containment(part: Counter[str], whole: Counter[str]) -> float:
    """Share of ``part``'s tokens (with multiplicity) that ``whole`` also has."""
    size = sum(part.values())
    return sum((part & whole).values()) / size if size else 0.0


def generic_body(doc: HtmlElement, text: str, url: str) -> Body:
    """The better of the two generic readings (see the module docstring)."""
    first_reading = trafilatura_body(text, url)
    second_reading = readability_body(text, url)
    first, second = Counter(tokens(first_reading.text)), Counter(tokens(second_reading.text))
    first_size, second_size = sum(first.values()), sum(second.values())
    if not first_size and not second_size:
        # Both found nothing: some broken pages read better through our own parse (a copy: it is mutated).
        return trafilatura_body(copy.deepcopy(doc), url)
    if not first_size:
        return second_reading
    if not second_size:
        return first_reading
    if _TIGHTER * first_size <= second_size <= first_size and _containment(second, first) >= _SUBSET:
        return second_reading
    if first_size < _LOST * second_size and _containment(first, second) >= _SUBSET:
        return second_reading
    return first_reading


def notice_credit_anywhere(doc: HtmlElement) -> str:
    """The 作者: line of the site's notice wherever it stands, when the readings dropped the notice.

    Only a 作者: line within a few lines of another notice line counts: a page may say 作者: elsewhere."""
    body = doc.find("body")
    lines = text_blocks(body) if body is not None else []
    for index, line in enumerate(lines):
        if is_notice_line(line) and not credit_from_lines([line]):
            credit = credit_from_lines(lines[max(0, index - 4) : index + 5])
            if credit:
                return credit
    return ""


_TEXT_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "pre", "dd", "dt", "figcaption")
_BODY_SHARE = 0.8  # the body element holds at least this share of the page elements whose text is a body block


def body_element(doc: HtmlElement, blocks: list[str]) -> HtmlElement | None:
    """The element of ``doc`` that holds the article text a generic reading found: the deepest one
    holding most of the paragraphs whose text is one of ``blocks`` (a stray match elsewhere, say a
    related card's excerpt, does not pull it up to the whole page)."""
    wanted = {collapse(block) for block in blocks}
    matched = [element for element in doc.iter(*_TEXT_TAGS) if text_of(element) in wanted]
    if not matched:
        return None
    counts: Counter[HtmlElement] = Counter()
    for element in matched:
        counts.update(element.iterancestors())
    need = _BODY_SHARE * len(matched)
    holders = [element for element, count in counts.items() if count >= need and element.tag != "html"]
    if not holders:
        return None
    # The deepest holder: every holder is an ancestor of the next deeper one, so the one with most ancestors.
    return max(holders, key=lambda element: sum(1 for _ in element.iterancestors()))


def extract_generic_from_tree(doc: HtmlElement, text: str, url: str, head: HeadMeta, now: datetime | None) -> Article:
    canonical = head.canonical or url
    body = generic_body(doc, text, canonical)
    links = generic_page_links(doc, canonical, body=body_element(doc, body.blocks), now=now)
    h1 = first_text(doc, "//body//h1")
    published = normalise_datetime(first_text(doc, "//body//time/@datetime"), now) or normalise_datetime(
        head.published, now
    )
    return Article(
        url=canonical,
        id=head.post_id,
        title=head.title or h1 or head.document_title,
        author=head.author,
        credit=body.credit or notice_credit_anywhere(doc),
        published_at=published,
        modified_at=normalise_datetime(head.modified, now),
        categories=list(dict.fromkeys(text_of(a) for a in select(doc, "//body//a[contains(@rel, 'category')]")))
        or head.section,
        tags=list(dict.fromkeys(text_of(a) for a in select(doc, "//body//a[@rel='tag']"))) or head.keywords,
        summary="",
        body_text=body.text,
        body_html=body.html,
        images=body.images,
        related=links.related,
        prev=links.prev,
        next=links.next,
        extractor="fallback",
    )
