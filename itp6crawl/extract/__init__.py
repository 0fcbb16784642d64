"""Extraction: page bytes and URL in, :class:`~itp6crawl.records.Article` out.

Pure functions: no Scrapy, no SQLite, no network. The JustNews theme rules run when the markup is
recognised; anything else goes through the generic fallback, and ``Article.extractor`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Article
from .encoding import decode_html
from .fallback import extract_generic_from_tree
from .html import ExtractionError, HtmlElement, parse_html
from .links import links_to_follow
from .meta import read_head
from .options import DEFAULT_OPTIONS, ExtractOptions
from .sniff import refuse_binary, refuse_non_post
from .theme import detect_theme, extract_theme

THEME_MISMATCH = "theme not recognised: generic fallback used"
EMPTY_THEME_BODY = "theme matched but its content was empty: generic fallback used"
NO_TITLE = "no title found: kept for its body"
# A page with no title at all is an article only if its body is substantial: an untitled fragment such
# as <body>hello</body> is not, while a saved page whose <head> was lost (the zh benchmark has four) is.
UNTITLED_MIN_BODY = 200


def _check(article: Article) -> Article:
    if not article.body_text and not article.title:
        raise ExtractionError("no article found: no title and no body text")
    if not article.body_text:
        raise ExtractionError(f"no body text found for {article.title!r}")
    if not article.title:
        if len(article.body_text) < UNTITLED_MIN_BODY:
            raise ExtractionError(f"no article found: the page has no title and under {UNTITLED_MIN_BODY} characters")
        article.warnings.append(NO_TITLE)
    return article


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A page decoded and parsed once: the links to follow are read from it, and the article. ``text`` is
    the decoded page, or the repaired tree's markup when the parse needed repair (:mod:`.repair`)."""

    text: str
    doc: HtmlElement


def parse_page(html: bytes | str, header_charset: str | None = None) -> ParsedPage:
    """Decode and parse a page; ExtractionError when it is binary data or not HTML."""
    if isinstance(html, bytes):
        refuse_binary(html)
    return ParsedPage(*parse_html(decode_html(html, header_charset)))


def _parse(html: bytes | str, header_charset: str | None, page: ParsedPage | None) -> tuple[str, HtmlElement]:
    page = page or parse_page(html, header_charset)
    refuse_non_post(page.doc)
    return page.text, page.doc


def extract_article(
    html: bytes | str,
    url: str,
    options: ExtractOptions = DEFAULT_OPTIONS,
    *,
    page: ParsedPage | None = None,
) -> Article:
    """Extract the article of one page (its fetch time and header charset in ``options``). Raises
    ExtractionError with the reason when the page holds no article: binary data, not HTML, not a post (a
    listing, search results, the 404 page), or nothing with a title and a body. ``page``, when the caller
    has parsed ``html`` with :func:`parse_page` already (:func:`extract_page` has), saves parsing it again."""
    text, doc = _parse(html, options.header_charset, page)
    head = read_head(doc, url)
    theme = detect_theme(doc)
    if theme is not None:
        article = extract_theme(doc, url, theme, head, options.fetched_at)
        if article.body_text or article.images:  # an image-only post is still the theme's article
            return article
        warning = EMPTY_THEME_BODY
    else:
        warning = THEME_MISMATCH
    article = extract_generic_from_tree(doc, text, url, head, options.fetched_at)
    article.warnings.append(warning)
    return _check(article)


@dataclass(slots=True)
class ExtractedPage:
    """What one parse of a fetched page yields: the post links to follow and the article, or the reason
    there is no article (the links of a page that is no article are still worth following)."""

    article: Article | None
    error: str | None = None
    followed: list[str] = field(default_factory=list)


def extract_page(html: bytes, url: str, options: ExtractOptions = DEFAULT_OPTIONS) -> ExtractedPage:
    """Parse a fetched page once; read the links a crawler follows from it, then its article.

    An :class:`ExtractionError` becomes ``error``; any other exception (a bug) propagates."""
    try:
        page = parse_page(html, options.header_charset)
    except ExtractionError as error:
        return ExtractedPage(None, str(error))
    followed = links_to_follow(page.doc, url)  # before extraction, which may edit copies of the tree
    try:
        article = extract_article(html, url, options, page=page)
    except ExtractionError as error:
        return ExtractedPage(None, str(error), followed)
    return ExtractedPage(article, None, followed)


def extract_generic(html: bytes | str, url: str, options: ExtractOptions = DEFAULT_OPTIONS) -> Article:
    """Extract with the generic fallback only, whatever the markup."""
    text, doc = _parse(html, options.header_charset, None)
    return _check(extract_generic_from_tree(doc, text, url, read_head(doc, url), options.fetched_at))


__all__ = [
    "DEFAULT_OPTIONS",
    "Article",
    "ExtractOptions",
    "ExtractedPage",
    "ExtractionError",
    "ParsedPage",
    "decode_html",
    "extract_article",
    "extract_generic",
    "extract_page",
    "parse_page",
]
