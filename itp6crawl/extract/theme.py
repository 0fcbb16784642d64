"""Rules for the JustNews theme (WPCOM), versions 6.x and 5.x, as itp6.com renders it.

Structure decides what is body: ``div.entry-content`` minus the theme's notice block, with everything
around it (info line, tags, 赞/打赏, entry-bar, prev/next, related posts, comments, sidebar, footer)
read as metadata or dropped.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..records import Article, Comment
from .clean import clean_body, notice_credit, text_blocks
from .dates import normalise_datetime, parse_count
from .html import HtmlElement, by_class, collapse, first, first_text, has_class, select, text_of
from .links import neighbour_link, related_links
from .meta import HeadMeta

_VIEWS = re.compile(r"(?:阅读|浏览|views?)\s*[:：]?\s*(\d[\d,.]*\s*[kKwW万]?)")
_COMMENT_ID = re.compile(r"comment-(\d+)")


def _content(doc: HtmlElement) -> HtmlElement | None:
    """The theme's ``div.entry-content``."""
    return next((element for element in by_class(doc, "entry-content") if element.tag == "div"), None)


def detect_theme(doc: HtmlElement) -> str | None:
    """'justnews6', 'justnews5', or None when the page is not a JustNews article."""
    content = _content(doc)
    if content is None:
        return None
    if select(content, f"ancestor::div[{has_class('entry-main')}]"):
        return "justnews6"
    if select(content, f"ancestor::div[{has_class('entry')}]") and by_class(doc, "entry-head", "entry-title"):
        return "justnews5"
    return None


def _article_root(doc: HtmlElement, content: HtmlElement) -> HtmlElement:
    """The element holding one article: ``article#post-N`` (6.x) or ``div.entry`` (5.x)."""
    for ancestor in content.iterancestors():
        classes = (ancestor.get("class") or "").split()
        if ancestor.tag == "article" or "entry-main" in classes or "entry" in classes:
            return ancestor
    return doc


def _published(root: HtmlElement, head: HeadMeta, now: datetime | None) -> str | None:
    stamp = first_text(root, f".//time[{has_class('published')}]/@datetime") or first_text(
        root, f".//*[{has_class('entry-info')}]//time/@datetime"
    )
    return (
        normalise_datetime(stamp, now)
        or normalise_datetime(head.published, now)
        or normalise_datetime(first_text(root, f".//*[{has_class('entry-info')}]//time"), now)
        or normalise_datetime(first_text(root, f".//*[{has_class('entry-date')}]"), now)
    )


# Inside a comment's name block: parts that are not the name (the time beside it, WordPress's 说道:).
_NOT_NAME_CLASSES = frozenset(("comment-time", "date", "says", "comment-meta", "reply"))


def _name_text(element: HtmlElement) -> str:
    """The text of a comment's name block without the time, the 说道: label or an avatar beside the name."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag != "time" and not _NOT_NAME_CLASSES & set(child.classes):
            parts.append(_name_text(child))
        parts.append(child.tail or "")
    return collapse("".join(parts))


def _comment_author(item: HtmlElement, own: str, item_id: str) -> str:
    """A comment's author. JustNews 6.x and 5.x print the name in ``div.nickname`` (a link, or plain text
    for a guest) beside ``span.comment-time``, and only the avatar in ``div.comment-author.vcard``;
    WordPress core puts ``cite.fn`` inside ``div.comment-author``. The avatar's alt text is the last resort."""
    for xpath in (
        f".//*[{has_class('nickname')}]{own}//a[{has_class('j-user-card')}]",
        f".//*[{has_class('nickname')}]{own}",
        f".//*[{has_class('fn')}]{own}",
        f".//*[{has_class('comment-author')}]{own}",
    ):
        for element in select(item, xpath, item=item_id):
            name = _name_text(element)
            if name:
                return name
    return collapse(
        first_text(item, f".//*[{has_class('vcard')} or {has_class('comment-author')}]{own}//img/@alt", item=item_id)
    )


def _comments(doc: HtmlElement, now: datetime | None) -> list[Comment]:
    comments: list[Comment] = []
    lists = by_class(doc, "comments-list")
    for item in dict.fromkeys(item for box in lists for item in select(box, f".//li[{has_class('comment')}]")):
        match = _COMMENT_ID.search(item.get("id") or "")
        parent = select(item, f"ancestor::li[{has_class('comment')}][1]/@id")
        parent_match = _COMMENT_ID.search(parent[0]) if parent else None
        # Only this comment's own parts, not those of nested replies.
        own = f"[not(ancestor::ul[{has_class('children')}][ancestor::li[@id=$item]])]"
        item_id = item.get("id") or ""
        text_node = first(item, f".//*[{has_class('comment-text')}]{own}", item=item_id)
        stamp = first_text(item, f".//time{own}/@datetime", item=item_id) or first_text(
            item, f".//*[{has_class('comment-time')} or {has_class('date')} or self::time]{own}", item=item_id
        )
        if text_node is None:
            continue
        comments.append(
            Comment(
                author=_comment_author(item, own, item_id),
                text="\n\n".join(text_blocks(text_node)),
                time=normalise_datetime(stamp, now),
                comment_id=int(match.group(1)) if match else None,
                parent_id=int(parent_match.group(1)) if parent_match else None,
            )
        )
    return comments


def _tag_links(doc: HtmlElement) -> list[HtmlElement]:
    boxes = by_class(doc, "entry-tag")
    return list(dict.fromkeys(a for box in boxes for a in select(box, ".//a[contains(@rel, 'tag')]")))


def extract_theme(doc: HtmlElement, url: str, theme: str, head: HeadMeta, now: datetime | None) -> Article:
    """Extract an article from a page ``detect_theme`` recognised."""
    content = _content(doc)
    assert content is not None  # detect_theme found it
    root = _article_root(doc, content)
    canonical = head.canonical or url
    body = clean_body(content, canonical)
    info = first(root, f".//*[{has_class('entry-info')}]")
    credit = body.credit or notice_credit(next(iter(by_class(doc, "entry-copyright")), None))
    views_match = _VIEWS.search(text_of(info)) if info is not None else None
    article_id = None
    match = re.match(r"post-(\d+)$", first_text(doc, "//article/@id"))
    if match:
        article_id = int(match.group(1))
    return Article(
        url=canonical,
        id=article_id or head.post_id,
        title=first_text(root, f".//h1[{has_class('entry-title')}]") or head.title or head.document_title,
        author=(first_text(info, f".//*[{has_class('nickname')}]") if info is not None else "") or head.author,
        credit=credit,
        published_at=_published(root, head, now),
        modified_at=normalise_datetime(head.modified, now)
        or normalise_datetime(first_text(root, f".//time[{has_class('updated')}]/@datetime"), now),
        categories=[text_of(a) for a in select(info if info is not None else root, ".//a[contains(@rel, 'category')]")],
        tags=[text_of(a) for a in _tag_links(doc)],
        summary=first_text(root, f".//*[{has_class('entry-excerpt')}]"),
        body_text=body.text,
        body_html=body.html,
        images=body.images,
        views=parse_count(views_match.group(1)) if views_match else None,
        likes=parse_count(text_of(next(iter(by_class(doc, "btn-zan")), None))),
        related=[link for link in related_links(doc, canonical, now) if link.url != canonical],
        prev=neighbour_link(doc, canonical, "prev", now),
        next=neighbour_link(doc, canonical, "next", now),
        comments=_comments(doc, now),
        extractor="theme",
        theme=theme,
    )
