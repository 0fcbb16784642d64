"""Small lxml helpers shared by the extractors and the discovery parsers."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree

HtmlElement = lxml.html.HtmlElement


class ExtractionError(ValueError):
    """The page cannot yield an article; the message says why."""


def has_class(name: str) -> str:
    """XPath predicate for ``class~=name``.

    The plain ``contains(@class, ...)`` test first rejects most elements cheaply (XPath ``and``
    short-circuits): the word test alone builds two strings for every element of the document."""
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")


def parse_document(text: str) -> HtmlElement:
    """Parse decoded HTML into an element tree; raise ExtractionError for non-HTML."""
    stripped = text.lstrip()
    if not stripped:
        raise ExtractionError("empty document")
    if stripped.startswith("<?xml") and "<html" not in stripped[:2000].lower():
        raise ExtractionError("XML, not an HTML page")
    # lxml refuses str input that carries an XML encoding declaration, and text with control characters
    # (which HTML does not allow either): both go.
    text = _CONTROL_CHARACTERS.sub("", re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise ExtractionError(f"unparseable HTML: {error}") from error
    return doc


def collapse(text: str | None) -> str:
    """Runs of whitespace (nbsp and ideographic space included) to one space, stripped."""
    return " ".join(text.split()) if text else ""


def text_of(element: HtmlElement | None) -> str:
    """The element's whole text, whitespace collapsed; '' for None."""
    if element is None:
        return ""
    return collapse("".join(element.itertext()))


@lru_cache(maxsize=1024)
def compiled(xpath: str) -> etree.XPath:
    """``xpath`` compiled once (``element.xpath(text)`` compiles it on every call)."""
    return etree.XPath(xpath)


def first(element: HtmlElement, xpath: str) -> HtmlElement | None:
    found = compiled(xpath)(element)
    return found[0] if found else None


def first_text(element: HtmlElement, xpath: str) -> str:
    """Text of the first match of ``xpath`` (an element or a string result)."""
    found = compiled(xpath)(element)
    if not found:
        return ""
    value = found[0]
    return collapse(value) if isinstance(value, str) else text_of(value)


_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these inside a URL: jav\tascript: is javascript:


def absolute(base: str, href: str | None) -> str:
    """``href`` resolved against ``base``, or '' unless it is an http(s) link: empty, fragment-only,
    ``javascript:``/``vbscript:``/``data:`` (in any case, with tabs or newlines inside), mailto and tel."""
    if not href:
        return ""
    href = href.strip()
    if not href or href.startswith("#"):
        return ""
    resolved = urljoin(base, href)
    scheme = _URL_IGNORED.sub("", resolved).split(":", 1)[0].lower() if ":" in resolved else ""
    return resolved if scheme in ("http", "https") else ""
