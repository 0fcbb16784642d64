"""Small lxml helpers shared by the extractors and the discovery parsers."""

from __future__ import annotations

import re
import weakref
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from .repair import balance_content, close_raw_text, repair_tree, serialise

HtmlElement = lxml.html.HtmlElement

# lxml.html's own parser picks each element's class in Python (HtmlElementClassLookup: form and input
# elements get classes of their own), a call every time an element is touched from Python. We need
# none of those classes: every element is an HtmlElement, chosen in C, which saves a tenth of the
# time of a walk over the tree. Shared like lxml.html's module-level parser.
HTML_PARSER = lxml.html.HTMLParser()
HTML_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def html_document(markup: str) -> HtmlElement:
    """``lxml.html.document_fromstring`` with :data:`HTML_PARSER`."""
    return lxml.html.document_fromstring(markup, parser=HTML_PARSER)


class ExtractionError(ValueError):
    """The page cannot yield an article; the message says why."""


def has_class(name: str) -> str:
    """XPath predicate for ``class~=name``.

    The plain ``contains(@class, ...)`` test first rejects most elements cheaply (XPath ``and``
    short-circuits): the word test alone builds two strings for every element of the document."""
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")


# The class words extraction looks up across a whole page (the JustNews theme's blocks).
INDEXED_CLASSES = frozenset(
    {
        "entry-content", "entry-head", "entry-title", "entry-copyright", "entry-tag", "btn-zan", "comments-list",
        "entry-related-posts", "entry-related", "entry-page", "entry-page-prev", "entry-page-next",
    }
)  # fmt: skip
# The class attributes that may hold an indexed word: the substring tests run in C, so Python splits a
# dozen attributes of a post page, not all of its 250. (One test per word costs more than it saves.)
_INDEXED_STEMS = ("entry-", "btn-zan", "comments-list")
assert all(any(stem in name for stem in _INDEXED_STEMS) for name in INDEXED_CLASSES)
_CLASS_VALUES = etree.XPath("//@class[" + " or ".join(f"contains(., '{stem}')" for stem in _INDEXED_STEMS) + "]")
_CLASS_INDEXES: weakref.WeakKeyDictionary[HtmlElement, list[tuple[HtmlElement, frozenset[str]]]] = (
    weakref.WeakKeyDictionary()
)


def by_class(doc: HtmlElement, *names: str) -> list[HtmlElement]:
    """The elements below ``doc`` whose class list holds one of ``names``, in document order.

    ``//*[class~=name]`` in XPath builds strings for every element of the page, about half a millisecond
    a query on a post page. For the words of ``INDEXED_CLASSES``, one read of every class attribute
    finds all the elements at once, and that index answers every later lookup for as long as ``doc``
    lives (``doc`` must not change meanwhile: extraction cleans copies). Other words are looked up
    directly. The root is left out, so the index never holds its own key."""
    wanted = frozenset(names)
    if not wanted <= INDEXED_CLASSES:
        lookup = compiled("//*[" + " or ".join(map(has_class, names)) + "]")
        return [element for element in lookup(doc) if element is not doc]
    index = _CLASS_INDEXES.get(doc)
    if index is None:
        index = []
        for value in _CLASS_VALUES(doc):
            words = INDEXED_CLASSES.intersection(value.split())
            if words and (element := value.getparent()) is not doc:
                index.append((element, words))
        _CLASS_INDEXES[doc] = index
    return [element for element, words in index if not wanted.isdisjoint(words)]


def first_in(scopes: list[HtmlElement], xpath: str) -> HtmlElement | None:
    """The first match of the relative ``xpath`` in the first of ``scopes`` that has one."""
    for scope in scopes:
        found = first(scope, xpath)
        if found is not None:
            return found
    return None


def parse_html(text: str) -> tuple[str, HtmlElement]:
    """Parse decoded HTML into an element tree with plugin markup repaired (:mod:`.repair`: an unclosed
    ``<object>`` or a bare ``<embed>`` no longer takes the rest of the body with it) and the theme body's
    broken markup balanced (a stray ``</div>`` no longer ends it, an unclosed table no longer takes the
    rest of it). Returns the markup
    readers that parse for themselves should read (``text`` itself unless the tree needed repair) and the
    tree. ExtractionError for non-HTML."""
    stripped = text.lstrip()
    if not stripped:
        raise ExtractionError("empty document")
    if stripped.startswith("<?xml") and "<html" not in stripped[:2000].lower():
        raise ExtractionError("XML, not an HTML page")
    # lxml refuses str input that carries an XML encoding declaration, and text with control characters
    # (which HTML does not allow either): both go.
    cleaned = _CONTROL_CHARACTERS.sub("", re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    markup = balance_content(close_raw_text(cleaned))
    try:
        doc = html_document(markup)
    except (etree.ParserError, ValueError) as error:
        raise ExtractionError(f"unparseable HTML: {error}") from error
    if repair_tree(doc):
        return serialise(doc), doc
    return (text if markup is cleaned else markup), doc


def parse_document(text: str) -> HtmlElement:
    """Parse decoded HTML into an element tree (repaired: see :func:`parse_html`); ExtractionError for non-HTML."""
    return parse_html(text)[1]


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
    """``xpath`` compiled once (``element.xpath(text)`` compiles it on every call). A value that varies
    from page to page goes in as an XPath variable (``$name``), never into the text: the cache would
    miss on every page, and a quote in the value would break the expression."""
    return etree.XPath(xpath)


def select(element: HtmlElement, xpath: str, **variables: str) -> list:  # type: ignore[type-arg]
    """``element.xpath(xpath)`` with the expression compiled once."""
    return compiled(xpath)(element, **variables)  # type: ignore[return-value]


def first(element: HtmlElement, xpath: str, **variables: str) -> HtmlElement | None:
    found = select(element, xpath, **variables)
    return found[0] if found else None


def first_text(element: HtmlElement, xpath: str, **variables: str) -> str:
    """Text of the first match of ``xpath`` (an element or a string result)."""
    found = select(element, xpath, **variables)
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
