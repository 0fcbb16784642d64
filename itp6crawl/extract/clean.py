"""Turn a content element into the archive's body: text blocks, clean HTML and images.

Works on a copy; shared by the theme rules and the generic fallback so both produce the same forms.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from ..records import Image
from .boilerplate import is_fixed_notice_line, is_notice_line
from .html import HtmlElement, absolute, collapse, has_class, select, text_of

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "svg",
    "object",
    "embed",
    "noembed",  # what browsers without <embed> showed: every browser has it now
    "noframes",
    "link",
    "meta",
    "template",
    "canvas",
    "audio",
    "video",
    "source",
    "track",
    "base",
    "math",
    "applet",
    "param",
    "portal",
    "dialog",
)
# Theme chrome that can sit inside the content element on JustNews pages.
_CHROME_CLASSES = (
    "entry-copyright",
    "entry-action",
    "entry-bar",
    "entry-tag",
    "entry-page",
    "entry-related-posts",
    "wpcom_ad_wrap",
    "wpcom_myimg_wrap",
    "wpcom-ad",
    "entry-readmore",
    "post-copyright",
    "social-share",
    "entry-footer",
    "btn-dashang",
    "btn-zan",
    "sharethis",
    "bdsharebuttonbox",
)
# The attributes clean HTML keeps, per tag (the Datasette plugin sanitises stored HTML with the same list).
KEEP_ATTRIBUTES = {
    "a": ("href", "title"),
    "img": ("src", "alt", "title", "width", "height"),
    "td": ("colspan", "rowspan"),
    "th": ("colspan", "rowspan", "scope"),
    "ol": ("start", "type"),
    "li": ("value",),
    "time": ("datetime",),
}
_BLOCK_TAGS = frozenset(
    (
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "blockquote",
        "pre",
        "dl",
        "dt",
        "dd",
        "hr",
        "address",
        "center",
        "caption",
        "details",
        "summary",
        "figure",
        "figcaption",
    )
)
_MEDIA_TAGS = frozenset(("img", "picture"))
_LAZY_SRC = ("data-original", "data-src", "data-lazy-src", "data-actualsrc", "src")
_CREDIT = re.compile(r"^(?:原创文章,?)?作者[:：]\s*(.+)$")


@dataclass(slots=True)
class Body:
    blocks: list[str] = field(default_factory=list)
    html: str = ""
    images: list[Image] = field(default_factory=list)
    credit: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)


def credit_from_lines(lines: list[str]) -> str:
    """The value of a ``作者:`` notice line, '' if none."""
    for line in lines:
        match = _CREDIT.match(collapse(line))
        if match:
            return match.group(1).strip()
    return ""


def text_blocks(root: HtmlElement) -> list[str]:
    """Block texts in document order: one per paragraph, heading, list item or table row.

    Images and their captions are not text (they go to ``images``); ``<br>`` breaks a block; a table
    row's cells are joined with `` | ``.
    """
    blocks: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = collapse("".join(buffer))
        buffer.clear()
        if text:
            blocks.append(text)

    def walk(element: HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _MEDIA_TAGS or (tag in ("figure", "figcaption") and not _in_text_figure(element)):
            return
        if tag == "br":
            flush()
            return
        if tag == "tr":
            flush()
            cells = [text_of(cell) for cell in element if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
            if any(cells):
                blocks.append(" | ".join(cells))
            return
        is_block = tag in _BLOCK_TAGS
        if is_block:
            flush()
        if element.text:
            buffer.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                buffer.append(child.tail)
        if is_block:
            flush()

    walk(root)
    flush()
    return blocks


_TEXT_IN_FIGURE = ".//table | .//blockquote | .//pre | .//p | .//ul | .//ol | .//dl"


def _in_text_figure(element: HtmlElement) -> bool:
    """Whether a figure (or a caption, by its figure) holds text of the article's own: a Gutenberg table,
    pull quote or code block (``figure.wp-block-table``...), caption included. A figure of an image, a
    video or an embed is not text: its caption is kept with the image (``images``)."""
    figure = element if element.tag == "figure" else element.getparent()
    if figure is None or figure.tag != "figure":
        return False
    return not select(figure, ".//img | .//picture") and bool(select(figure, _TEXT_IN_FIGURE))


def _image_caption(img: HtmlElement) -> str:
    for ancestor in img.iterancestors():
        if ancestor.tag == "figure" or "wp-caption" in (ancestor.get("class") or "").split():
            caption = select(ancestor, f".//figcaption | .//*[{has_class('wp-caption-text')}]")
            return text_of(caption[0]) if caption else ""
        if ancestor.tag in ("p", "div", "td", "li"):
            break
    return ""


def _collect_images(root: HtmlElement, base: str) -> list[Image]:
    images: list[Image] = []
    seen: set[str] = set()
    for img in root.iter("img"):
        src = ""
        for attribute in _LAZY_SRC:
            candidate = absolute(base, img.get(attribute))
            if candidate and not candidate.startswith("data:"):
                src = candidate
                break
        if not src:
            img.drop_tree()
            continue
        img.set("src", src)
        if src in seen:
            continue
        seen.add(src)
        images.append(Image(src=src, alt=collapse(img.get("alt")), caption=_image_caption(img)))
    return images


def _scrub_attributes(root: HtmlElement, base: str) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        keep = KEEP_ATTRIBUTES.get(element.tag, ())
        for name in list(element.attrib):
            if name not in keep:
                del element.attrib[name]
        if element.tag == "a":
            href = absolute(base, element.get("href"))
            if href:
                element.set("href", href)
            elif "href" in element.attrib:
                del element.attrib["href"]


def strip_trailing_notice(root: HtmlElement) -> list[str]:
    """Remove the notice lines (disclaimer, tip, 作者/链接, copyright) that old posts have as plain
    paragraphs at the end of the body; return the removed lines.

    The trailing run of notice-like paragraphs goes only if it holds one of the notice's fixed
    sentences: a post that merely ends with 作者: or 链接: (a paper's authors, a source) keeps it."""
    leaves = [
        element
        for element in root.iter("p", "div", "li", "h2", "h3", "h4", "blockquote", "span", "strong")
        if element is not root and text_of(element) and not select(element, ".//p | .//div | .//li")
    ]
    run: list[tuple[HtmlElement, list[str]]] = []
    for element in reversed(leaves):
        if any(element in other.iterdescendants() for other, _ in run):
            continue  # already inside a paragraph of the run
        lines = text_blocks(element) or [text_of(element)]
        if not all(is_notice_line(line) for line in lines):
            break
        run.append((element, lines))
    if not any(is_fixed_notice_line(line) for _, lines in run for line in lines):
        return []
    removed: list[str] = []
    for element, lines in run:
        removed[:0] = lines
        parent = element.getparent()
        element.drop_tree()
        # Drop wrappers the removal emptied, up to the content root.
        while parent is not None and parent is not root and not text_of(parent) and not select(parent, ".//img"):
            grandparent = parent.getparent()
            parent.drop_tree()
            parent = grandparent
    return removed


def _drop_empty(root: HtmlElement) -> None:
    for element in reversed(list(root.iter("p", "div", "span", "section", "strong", "em", "a"))):
        if element is root:
            continue
        if not text_of(element) and not select(element, ".//img | .//br | .//hr | .//table"):
            element.drop_tree()


def clean_body(content: HtmlElement, base: str, *, prune_chrome_classes: bool = True) -> Body:
    """Clean a copy of ``content`` into a :class:`Body`."""
    root = copy.deepcopy(content)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS, with_tail=False)
    notice_lines: list[str] = []
    if prune_chrome_classes:
        predicate = " or ".join(has_class(name) for name in _CHROME_CLASSES)
        for element in select(root, f".//*[{predicate}]"):
            if "entry-copyright" in (element.get("class") or "").split():
                notice_lines.extend(text_blocks(element))
            element.drop_tree()
    notice_lines.extend(strip_trailing_notice(root))
    # Classic WordPress captions (div.wp-caption > p.wp-caption-text) become figure/figcaption, so
    # the caption stays out of the text as it does for the theme's own figures.
    for element in select(root, f".//*[{has_class('wp-caption')}]"):
        element.tag = "figure"
    for element in select(root, f".//*[{has_class('wp-caption-text')}]"):
        element.tag = "figcaption"
    images = _collect_images(root, base)
    _scrub_attributes(root, base)
    _drop_empty(root)
    blocks = text_blocks(root)
    root.tag = "div"
    root.attrib.clear()
    html = lxml.html.tostring(root, encoding="unicode", method="html").strip()
    return Body(blocks=blocks, html=html, images=images, credit=credit_from_lines(notice_lines))


def notice_credit(element: HtmlElement | None) -> str:
    """The credit (作者:) from a notice element such as ``div.entry-copyright``."""
    return credit_from_lines(text_blocks(element)) if element is not None else ""
