"""Strip a page of the JustNews theme's names, for testing the generic fallback extractor.

:func:`rename_theme_classes` rewrites every class token (except WordPress core content classes such as
``wp-caption``) and every theme id to neutral names, and drops the ``post-N`` id, so no theme rule can
match. Only attribute values change: the text of the page stays identical.
"""

from __future__ import annotations

import re
import zlib

# WordPress core classes of the post content itself (editor output, not theme chrome): kept.
WP_CORE_CLASSES = frozenset(
    {
        "wp-caption",
        "wp-caption-text",
        "aligncenter",
        "alignnone",
        "alignleft",
        "alignright",
        "size-full",
        "size-large",
        "size-medium",
        "size-thumbnail",
    }
)
_WP_IMAGE = re.compile(r"^wp-image-\d+$")

NEUTRAL_CLASSES = {
    "entry-content": "post-body",
    "entry-main": "art-wrap",
    "entry": "art-box",
    "entry-head": "art-top",
    "entry-title": "art-heading",
    "entry-info": "art-meta",
    "entry-copyright": "notice-box",
    "entry-related-posts": "more-box",
    "entry-related": "more-list",
    "entry-related-title": "more-heading",
    "btn-dashang": "tip-button",
    "btn-zan": "like-button",
    "entry-page": "nav-pair",
    "entry-page-prev": "nav-older",
    "entry-page-next": "nav-newer",
    "entry-page-info": "nav-note",
    "entry-tag": "label-list",
    "entry-action": "act-row",
    "entry-bar": "share-row",
    "entry-footer": "art-bottom",
    "entry-excerpt": "lead-box",
    "entry-summary": "lead-text",
    "entry-comments": "talk-area",
    "comments-title": "talk-count",
    "comments-list": "talk-list",
    "comment-text": "talk-text",
    "comment": "talk-item",
    "children": "talk-replies",
    "comment-time": "talk-when",
    "nickname": "who",
    "widget": "side-box",
    "widget-title": "side-heading",
    "sidebar": "side-col",
    "post-loop": "card-list",
    "item": "card",
    "item-title": "card-heading",
    "item-excerpt": "card-lead",
    "item-meta": "card-info",
    "item-category": "card-section",
    "action": "float-bar",
    "action-item": "float-btn",
    "pagination": "pager",
    "next": "pager-next",
    "prev": "pager-prev",
    "load-more": "more-btn",
    "main": "mid-col",
    "content": "mid-body",
    "container": "frame",
    "breadcrumb": "trail",
    "header": "top-bar",
    "footer": "bottom-bar",
    "dot": "sep",
    "date": "when",
    "text-indent": "indent-on",
    "entry-date": "stamp",
    "published": "stamp-pub",
    "vcard": "person",
    "sec-panel": "block-panel",
    "copyright": "rights",
    "hentry": "feed-entry",
    "post": "doc",
}
THEME_IDS = {
    "comments": "talk",
    "respond": "talk-form",
    "reply-title": "talk-form-title",
    "cancel-comment-reply-link": "talk-cancel",
    "must-submit": "talk-submit",
    "wrap": "page-frame",
    "j-user-wrap": "user-box",
    "menu-main": "nav-menu",
    "j-reading": "read-mode",
    "main-js-extra": "js-a",
    "main-js": "js-b",
    "wpcom-icons-js": "js-c",
    "jquery-core-js": "js-d",
    "stylesheet-css": "css-a",
    "font-awesome-css": "css-b",
    "text-2": "side-1",
    "wpcom-post-thumb-2": "side-2",
    "tag_cloud-2": "side-3",
    "wpcom-image-ad-2": "side-4",
}
_CLASS_ATTR = re.compile(r"""(\sclass=)(["'])(.*?)\2""", re.S)
_ID_ATTR = re.compile(r"""\sid=(["'])(.*?)\1""", re.S)
_POST_ID = re.compile(r"^post-\d+$")


def keeps_class(token: str) -> bool:
    """True for a class the renaming leaves alone (WordPress core content classes)."""
    return token in WP_CORE_CLASSES or bool(_WP_IMAGE.match(token))


def neutral_class(token: str) -> str:
    if keeps_class(token):
        return token
    return NEUTRAL_CLASSES.get(token) or f"x{zlib.crc32(token.encode()):08x}"


def _classes(match: re.Match[str]) -> str:
    tokens = match[3].split()
    return f"{match[1]}{match[2]}{' '.join(neutral_class(t) for t in tokens)}{match[2]}"


def _ids(match: re.Match[str]) -> str:
    value = match[2]
    if _POST_ID.match(value):
        return ""
    if value in THEME_IDS:
        return f" id={match[1]}{THEME_IDS[value]}{match[1]}"
    return match[0]


def rename_theme_classes(html: str) -> str:
    """The page with theme class names and ids replaced by neutral ones and the post-N id removed."""
    return _ID_ATTR.sub(_ids, _CLASS_ATTR.sub(_classes, html))
