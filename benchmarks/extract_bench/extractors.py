"""The extractors under test, each behind one call: a decoded ``Page`` in, its text (and our Article) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itp6crawl.extraction_metrics import collapse

from .corpus import Page


@dataclass
class Output:
    """What one extractor made of one page."""

    text: str
    article: Any = None  # our Article, for the metadata check
    error: str | None = None


ExtractFn = Callable[[Page], Output]


@dataclass
class Extractor:
    name: str
    fn: ExtractFn
    note: str = ""


def trafilatura_extractor() -> Extractor:
    import trafilatura

    def run(page: Page) -> Output:
        text = trafilatura.extract(page.html, favor_precision=True, include_comments=False, include_tables=True)
        return Output(text or "")

    return Extractor("trafilatura", run, f"trafilatura {getattr(trafilatura, '__version__', '?')} favor_precision")


_BLOCK_TAGS = frozenset(
    (
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    )
)
_DROP_TAGS = ("script", "style", "noscript", "template")


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment, block elements on their own lines, blank lines dropped."""
    import lxml.html
    from lxml import etree

    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fromstring(fragment)
    except (etree.ParserError, ValueError):
        return ""
    for element in root.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        element.drop_tree()
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):  # comment or processing instruction: keep its tail only
            if event == "end" and element.tail:
                parts.append(element.tail)
            continue
        block = element.tag.lower() in _BLOCK_TAGS
        if event == "start":
            if block:
                parts.append("\n")
            if element.text:
                parts.append(element.text)
        else:
            if block:
                parts.append("\n")
            if element.tail and element is not root:
                parts.append(element.tail)
    lines = (collapse(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def readability_extractor() -> Extractor:
    import readability
    from readability import Document

    def run(page: Page) -> Output:
        return Output(html_to_text(Document(page.html).summary()))

    version = getattr(readability, "__version__", "")
    return Extractor("readability", run, f"readability-lxml {version}".strip())


def ours_extractor(*, generic: bool = False) -> tuple[Extractor | None, str]:
    """Our extractor, or None and the reason when ``itp6crawl.extract`` does not provide it yet."""
    try:
        from itp6crawl.extract import ExtractOptions, extract_article, extract_generic
    except ImportError as error:
        return None, f"itp6crawl.extract not ready ({error})"
    func = extract_generic if generic else extract_article

    def run(page: Page) -> Output:
        article = func(page.html, page.url, ExtractOptions(fetched_at=page.fetched_at))
        return Output(article.body_text or "", article)

    return Extractor("ours", run, "itp6crawl extract_generic" if generic else "itp6crawl extract_article"), ""


def stand_in_extractor() -> Extractor:
    """Development stand-in for ours (``--stand-in``): trafilatura with default settings."""
    import trafilatura

    def run(page: Page) -> Output:
        return Output(trafilatura.extract(page.html) or "")

    return Extractor("ours", run, "STAND-IN: trafilatura default (itp6crawl.extract missing)")
