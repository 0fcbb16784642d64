"""An article's related posts and neighbours read from signals that survive a change of theme.

The permalink shape ``/{id}.html``, ``rel="prev"/"next"``, the 上一篇/下一篇 labels, HTML5 sectioning
tags and the headings WordPress themes print above related posts: the generic fallback extractor reads
an article's links with :func:`generic_page_links` when the theme rules do not recognise the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from ..records import Link
from ..urls import LISTING_PREFIXES, post_id_from_url, same_site
from .dates import normalise_day
from .html import HtmlElement, absolute, collapse, first, first_text, select, text_of
from .links import post_url

# A text that is a date and nothing else (a card's date, not a sentence that mentions one).
_DATE_ONLY = re.compile(
    r"^(?:\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?"
    r"(?:\s*(?:上午|下午|凌晨|早上|中午|晚上)?\s*\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?)?"
    r"|\d{1,2}\s*[-月/]\s*\d{1,2}\s*日?"
    r"|(?:\d+|半|一|两|几)\s*(?:秒|分钟|分|小时|个小时|天|周|星期|个月)前"
    r"|(?:今天|昨天|前天)(?:\s*\S{0,2}\s*\d{1,2}:\d{2})?|刚刚)$"
)
_OPEN, _CLOSE = r"^[\s«‹<《【\[(（]*", r"(?:文章)?[\s»›>》】\])）:：]*"
# A text that is a neighbour label and nothing else; a link whose text starts with one (上一篇: title).
_LABEL_ONLY = re.compile(f"{_OPEN}(?:上一篇|下一篇|上篇|下篇){_CLOSE}$")
_LABEL_PREFIX = re.compile(f"{_OPEN}(?:上一篇|下一篇){_CLOSE}")  # stripped from titles
_NEIGHBOUR_LABEL = {
    "prev": re.compile(f"{_OPEN}(?:上一篇|上篇){_CLOSE}$"),
    "next": re.compile(f"{_OPEN}(?:下一篇|下篇){_CLOSE}$"),
}
# Inside a link only the full words count: a title may well start with 上篇 (part one).
_NEIGHBOUR_PREFIX = {"prev": re.compile(f"{_OPEN}上一篇{_CLOSE}"), "next": re.compile(f"{_OPEN}下一篇{_CLOSE}")}
_RELATED_HEADING = re.compile(r"相关|猜你喜欢|推荐阅读|延伸阅读|你可能|您可能|也许|类似|related|you may|see also", re.I)
_OTHER_HEADING = re.compile(
    r"热门|最新|热评|排行|随机|点击|精选|置顶|最近|标签|分类|归档|评论|hot|popular|latest|recent|trending|tag", re.I
)
# Page chrome by HTML5 sectioning tags and ARIA roles, which a theme keeps when it renames its classes.
_CHROME_TAGS = frozenset({"header", "nav", "aside", "footer"})
_CHROME_ROLES = frozenset({"banner", "navigation", "complementary", "contentinfo"})
_CONTENT_TAGS = frozenset({"article", "main"})
_BLOCK_TAGS = frozenset({"ul", "ol", "div", "section", "dl", "table", "tbody"})
_HEADING_MAX = 24  # characters: a heading above a list, not a paragraph


@dataclass(slots=True)
class PageLinks:
    """An article's links to other pages as the generic reading finds them."""

    related: list[Link] = field(default_factory=list)
    prev: Link | None = None
    next: Link | None = None


def _tag(element: HtmlElement) -> str:
    return element.tag if isinstance(element.tag, str) else ""


def _within(element: HtmlElement, container: HtmlElement | None) -> bool:
    """Whether ``element`` is ``container`` or inside it."""
    if container is None:
        return False
    return element is container or any(ancestor is container for ancestor in element.iterancestors())


def _in_chrome(element: HtmlElement, *, allow_nav: bool = False) -> bool:
    """Inside the page's header, menu, sidebar or footer, by HTML5 tag or ARIA role.

    A header, footer or aside inside ``article``/``main`` belongs to the article (HTML5 themes put the
    post footer there), so only the page-level ones count."""
    for ancestor in element.iterancestors():
        tag = _tag(ancestor)
        role = (ancestor.get("role") or "").strip().lower()
        if tag == "nav" or role == "navigation":
            if allow_nav:
                continue
            return True
        if tag in _CHROME_TAGS or role in _CHROME_ROLES:
            if any(_tag(outer) in _CONTENT_TAGS for outer in ancestor.iterancestors()):
                continue
            return True
    return False


def _is_date_text(text: str) -> bool:
    return 0 < len(text) <= 30 and bool(_DATE_ONLY.match(text))


def _date_within(element: HtmlElement, now: datetime | None) -> str | None:
    """The day of the first element under ``element`` whose whole text is a date (``time[datetime]`` first)."""
    for stamp in select(element, ".//time[@datetime]/@datetime"):
        day = normalise_day(stamp, now)
        if day:
            return day
    for node in element.iter():
        if not _tag(node) or node is element:
            continue
        text = text_of(node)
        if _is_date_text(text):
            return normalise_day(text, now)
    return None


def _link_title(anchor: HtmlElement) -> str:
    """A card or neighbour anchor's title: its first non-date span, its text, its title, its image's alt."""
    for span in select(anchor, "./span"):
        text = text_of(span)
        if text and not _is_date_text(text) and not _LABEL_ONLY.match(text):
            return _LABEL_PREFIX.sub("", text).strip()
    text = _LABEL_PREFIX.sub("", text_of(anchor)).strip()
    if text and not _is_date_text(text):
        return text
    return collapse(anchor.get("title") or first_text(anchor, ".//img/@alt"))


class _Page:
    """One parsed article page with what the generic link rules need: self, body and document order."""

    def __init__(self, doc: HtmlElement, base: str, body: HtmlElement | None) -> None:
        self.doc = doc
        self.base = base
        self.self_id = post_id_from_url(base)
        self.body = body
        self._post_urls: dict[str, str] = {}
        self.order = {node: index for index, node in enumerate(doc.iter())}  # comments too: they own tails
        if body is not None:
            self.start = max(self.order[node] for node in body.iter())
        else:
            h1 = first(doc, "//body//h1")
            self.start = self.order[h1] if h1 is not None else None

    def text_position(self, node: str) -> float:
        """Where a text node of ``doc.xpath('//text()')`` stands in the element order: inside its element
        before the children, or (a tail) just after its element's last descendant."""
        parent = node.getparent()  # type: ignore[attr-defined]  # an element of doc: never None here
        if node.is_tail:  # type: ignore[attr-defined]
            return max(self.order[element] for element in parent.iter()) + 0.5
        return self.order[parent] + 0.5

    def post_url(self, anchor: HtmlElement) -> str:
        """The anchor's post permalink when it is a post of this site other than the page itself."""
        href = anchor.get("href") or ""
        if href not in self._post_urls:
            url = post_url(href, self.base)
            self._post_urls[href] = url if url and post_id_from_url(url) != self.self_id else ""
        return self._post_urls[href]

    def after_body(self, element: HtmlElement) -> bool:
        return self.start is not None and self.order[element] > self.start

    def anchors(self) -> list[HtmlElement]:
        """Anchors outside the body with a href."""
        return [a for a in select(self.doc, "//body//a[@href]") if not _within(a, self.body)]


def _neighbour_by_rel(page: _Page, rel: str) -> HtmlElement | None:
    xpath = f"//body//a[@href][contains(concat(' ', normalize-space(@rel), ' '), ' {rel} ')]"
    for anchor in select(page.doc, xpath):
        if not _within(anchor, page.body) and page.post_url(anchor):
            return anchor
    return None


def _neighbour_by_label(page: _Page, rel: str) -> HtmlElement | None:
    """The post link a 上一篇/下一篇 label stands beside (in the same small block), outside the body."""
    label, prefix = _NEIGHBOUR_LABEL[rel], _NEIGHBOUR_PREFIX[rel]
    for node in select(page.doc, "//body//text()[contains(., '篇')]"):
        own = collapse(node)
        if not (label.match(own) or prefix.match(own)):
            continue  # a sentence that mentions 上一篇, or the other label, is not this label
        element = node.getparent()
        if element is None:
            continue
        if node.is_tail:
            element = element.getparent()
        if element is None or _within(element, page.body) or _in_chrome(element, allow_nav=True):
            continue
        anchor = next((a for a in [element, *element.iterancestors()] if _tag(a) == "a"), None)
        if anchor is not None:
            # "上一篇: title" written inside the link itself.
            if prefix.match(own) and page.post_url(anchor):
                return anchor
            continue
        if not label.match(own):
            continue
        scope = element
        for _ in range(3):
            if scope is None or _tag(scope) == "body" or (page.body is not None and _within(page.body, scope)):
                break
            anchors = [a for a in select(scope, ".//a[@href]") if page.post_url(a)]
            urls = {page.post_url(a) for a in anchors}
            if len(urls) == 1:
                return anchors[0]
            if len(urls) > 1:
                # Both neighbours in one block: the first post link after the label, before any other label.
                position = page.text_position(node)
                between = next((a for a in anchors if page.order[a] > position), None)
                if between is None:
                    return None
                others = [
                    n for n in select(scope, ".//text()") if _LABEL_ONLY.match(collapse(n)) and collapse(n) != own
                ]
                if any(position < page.text_position(other) < page.order[between] for other in others):
                    return None
                return between
            scope = scope.getparent()
    return None


def _neighbour(page: _Page, anchor: HtmlElement, now: datetime | None) -> Link:
    url = page.post_url(anchor)
    title = _LABEL_PREFIX.sub("", collapse(anchor.get("title") or "")).strip() or _link_title(anchor)
    date = None
    scope = anchor.getparent()
    for _ in range(2):  # the neighbour's own block: no other post link in it
        if scope is None or _tag(scope) == "body":
            break
        if len({page.post_url(a) for a in select(scope, ".//a[@href]")} - {""}) > 1:
            break
        date = _date_within(scope, now)
        if date:
            break
        scope = scope.getparent()
    return Link(url=url, title=title, date=date)


def _heading_of(block: HtmlElement) -> str:
    """The short text standing just before a block (or as its first, link-free child): its heading."""
    children = [child for child in block if _tag(child)]
    if children and not select(children[0], ".//a[@href]") and text_of(children[0]):
        text = text_of(children[0])
        return text if len(text) <= _HEADING_MAX else ""
    node = block
    for _ in range(3):
        sibling = node.getprevious()
        while sibling is not None and (not _tag(sibling) or not text_of(sibling)):
            sibling = sibling.getprevious()
        if sibling is not None:
            text = text_of(sibling)
            return text if len(text) <= _HEADING_MAX and not select(sibling, ".//a[@href]") else ""
        node = node.getparent()
        if node is None or _tag(node) == "body":
            break
    return ""


def _item_anchor(item: HtmlElement) -> HtmlElement | None:
    """A card's title link: the link in a heading, else the first link with words, else the first link."""
    if _tag(item) == "a":
        return item if item.get("href") else None
    anchors = select(item, ".//a[@href]")
    for anchor in anchors:
        if select(anchor, "ancestor::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"):
            return anchor
    for anchor in anchors:
        text = text_of(anchor)
        path = urlsplit(absolute("http://x/", anchor.get("href"))).path
        if text and not text.isdigit() and not path.startswith(LISTING_PREFIXES):
            return anchor
    return anchors[0] if anchors else None


def _block_links(page: _Page, block: HtmlElement, now: datetime | None) -> list[Link]:
    links: list[Link] = []
    for item in block:
        if not _tag(item):
            continue
        anchor = _item_anchor(item)
        if anchor is None:
            continue
        url = post_url(anchor.get("href"), page.base)
        if url and post_id_from_url(url) == page.self_id:
            continue
        if not url:  # a page of the site that is not a post (e.g. a group-chat page): same site only
            url = absolute(page.base, anchor.get("href")).split("#", 1)[0]
            path = urlsplit(url).path
            if not url or not same_site(url, page.base) or path.strip("/") == "":
                continue
            if path.startswith((*LISTING_PREFIXES, "/page/")):
                continue
        if any(link.url == url for link in links):
            continue
        links.append(Link(url=url, title=_link_title(anchor), date=_date_within(item, now)))
    return links


def _related(page: _Page, taken: list[HtmlElement], now: datetime | None) -> list[Link]:
    """The related-posts block: a list after the body of >=2 post links, headed like 相关推荐 if one is."""
    urls_under: dict[HtmlElement, set[str]] = {}
    candidates = []
    for anchor in page.anchors():
        url = page.post_url(anchor)
        if not url or any(anchor is t for t in taken) or not page.after_body(anchor) or _in_chrome(anchor):
            continue
        rel = f" {anchor.get('rel') or ''} "
        if " prev " in rel or " next " in rel:
            continue
        candidates.append(anchor)
        for ancestor in anchor.iterancestors():
            if _tag(ancestor) == "body":
                break
            urls_under.setdefault(ancestor, set()).add(url)
    blocks: list[HtmlElement] = []
    for anchor in candidates:
        block = next((a for a in anchor.iterancestors() if len(urls_under.get(a, ())) >= 2), None)
        if block is None or _tag(block) not in _BLOCK_TAGS or any(block is b for b in blocks):
            continue
        items = [child for child in block if _tag(child) and (_tag(child) == "a" or select(child, ".//a[@href]"))]
        if len(items) < 2 or any(len(urls_under.get(child, ())) > 1 for child in items):
            continue  # not a list of one link per item
        blocks.append(block)
    headed = [(block, _heading_of(block)) for block in blocks]
    chosen = next((block for block, heading in headed if _RELATED_HEADING.search(heading)), None)
    if chosen is None:
        chosen = next((block for block, heading in headed if not _OTHER_HEADING.search(heading)), None)
    return _block_links(page, chosen, now) if chosen is not None else []


def generic_page_links(
    doc: HtmlElement, base: str, *, body: HtmlElement | None = None, now: datetime | None = None
) -> PageLinks:
    """Related posts and the previous/next post of an article page whose theme is not recognised.

    ``base`` is the article's URL, ``body`` the element of ``doc`` that holds the article text (links in
    it are the author's, never related posts; without it, the block must follow the ``h1``).
    Signals that survive a theme rename: ``rel="prev"/"next"`` and the 上一篇/下一篇 labels for the
    neighbours; for related posts, the first list after the body holding >=2 same-site post links (one
    per item) outside the page header, menu, sidebar and footer, preferring one headed like 相关推荐,
    never one headed like 热门文章."""
    page = _Page(doc, base, body)
    neighbours: dict[str, HtmlElement | None] = {}
    for rel in ("prev", "next"):
        anchor = _neighbour_by_rel(page, rel)
        neighbours[rel] = anchor if anchor is not None else _neighbour_by_label(page, rel)
    if neighbours["prev"] is not None and neighbours["prev"] is neighbours["next"]:
        neighbours = {"prev": None, "next": None}  # one link cannot be both: trust neither
    taken = [anchor for anchor in neighbours.values() if anchor is not None]
    return PageLinks(
        related=_related(page, taken, now),
        prev=_neighbour(page, neighbours["prev"], now) if neighbours["prev"] is not None else None,
        next=_neighbour(page, neighbours["next"], now) if neighbours["next"] is not None else None,
    )
