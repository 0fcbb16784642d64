"""Cheap change signals: what WordPress tells for free about which posts changed, read before any post.

Pure functions over response bodies (no Scrapy, no SQLite):

- the Atom feed ordered by modification (``/feed/atom/?orderby=modified``: ``orderby`` is one of
  WordPress's public query vars, so core honours it unless a plugin filters it), whose entries carry each
  post's ``<updated>`` time: read newest first until an entry is not newer than the last complete read,
  it names every post modified since;
- the comments feed (``/comments/feed/``, ``?paged=N``): the newest comments site-wide, each linking
  ``{post}.html#comment-{id}``, read until a comment already seen;
- the REST API (``/wp-json/wp/v2/posts?orderby=modified&modified_after=…``, and ``/comments`` newest
  first, 100 a page, read back to the newest comment seen), when it answers.

Each reader returns :class:`PostSignal` or :class:`CommentSignal` records; :func:`orderby_honoured` tells
whether a feed really came in modification order (a site that ignores the query var sends date order,
and a reader that trusted it would miss an old post's edit).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag

from lxml import etree

from .times import parse_iso
from .urls import post_id_from_url

ATOM = "{http://www.w3.org/2005/Atom}"
REST_PAGE_SIZE = 100  # WordPress's largest per_page
FEED_PAGE_SIZE = 10  # WordPress's default posts_per_rss (the size of a feed page)
_COMMENT_FRAGMENT = re.compile(r"^comment-(\d+)$")


class SignalError(ValueError):
    """A signal's body is not what its endpoint serves (an HTML error page, a cut or foreign document)."""


@dataclass(frozen=True, slots=True)
class PostSignal:
    """A post a signal names: its URL and id, and the times the signal gives (None when it gives none)."""

    url: str
    post_id: int | None
    published: datetime | None = None
    modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class CommentSignal:
    """A comment a signal names: the post it is on, its WordPress id and time."""

    post_url: str
    post_id: int | None
    comment_id: int
    at: datetime | None = None


def _xml(body: bytes, what: str) -> etree._Element:
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as error:
        raise SignalError(f"{what} is not XML: {error}") from error
    if root is None:
        raise SignalError(f"{what} is empty")
    return root


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _rfc822(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _utc(parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError):
        return None


def _iso(text: str | None) -> datetime | None:
    return _utc(parse_iso(text.strip())) if text else None


def _gmt(text: object) -> datetime | None:
    """A WordPress ``*_gmt`` field: ISO 8601 without an offset, in UTC."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return _utc(datetime.fromisoformat(text.strip().removesuffix("Z")))
    except ValueError:
        return None


def atom_posts(body: bytes) -> list[PostSignal]:
    """The posts of an Atom feed in feed order, each with ``published`` and ``updated``."""
    root = _xml(body, "the Atom feed")
    if root.tag != f"{ATOM}feed":
        raise SignalError(f"the Atom feed is a <{etree.QName(root).localname}> document")
    posts = []
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        if link is None:
            link = entry.find(f"{ATOM}link")
        url = (link.get("href") if link is not None else None) or (entry.findtext(f"{ATOM}id") or "")
        url = urldefrag(url.strip())[0]
        published = _iso(entry.findtext(f"{ATOM}published"))
        posts.append(PostSignal(url, post_id_from_url(url), published, _iso(entry.findtext(f"{ATOM}updated"))))
    return posts


def rss_comments(body: bytes) -> list[CommentSignal]:
    """The comments of a WordPress comments feed (RSS 2.0), newest first as served.

    Each item links ``{post}.html#comment-{id}``; an item without a comment fragment is skipped."""
    root = _xml(body, "the comments feed")
    if root.tag != "rss":
        raise SignalError(f"the comments feed is a <{etree.QName(root).localname}> document")
    comments = []
    for item in root.iter("item"):
        link = (item.findtext("link") or item.findtext("guid") or "").strip()
        url, fragment = urldefrag(link)
        match = _COMMENT_FRAGMENT.match(fragment)
        if match:
            comments.append(CommentSignal(url, post_id_from_url(url), int(match[1]), _rfc822(item.findtext("pubDate"))))
    return comments


def _json_list(body: bytes, what: str) -> list[dict]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SignalError(f"{what} is not JSON: {error}") from error
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise SignalError(f"{what} is not a list of objects")
    return data


def rest_posts(body: bytes) -> list[PostSignal]:
    """The posts of a ``/wp-json/wp/v2/posts`` answer (``id``, ``link``, ``date_gmt``, ``modified_gmt``)."""
    posts = []
    for row in _json_list(body, "the REST posts answer"):
        url = urldefrag(str(row.get("link") or ""))[0]
        post_id = row.get("id") if isinstance(row.get("id"), int) else post_id_from_url(url)
        posts.append(PostSignal(url, post_id, _gmt(row.get("date_gmt")), _gmt(row.get("modified_gmt"))))
    return posts


def rest_comments(body: bytes) -> list[CommentSignal]:
    """The comments of a ``/wp-json/wp/v2/comments`` answer (``id``, ``post``, ``link``, ``date_gmt``)."""
    comments = []
    for row in _json_list(body, "the REST comments answer"):
        if not isinstance(row.get("id"), int):
            continue
        url = urldefrag(str(row.get("link") or ""))[0]
        post_id = row.get("post") if isinstance(row.get("post"), int) else post_id_from_url(url)
        comments.append(CommentSignal(url, post_id, row["id"], _gmt(row.get("date_gmt"))))
    return comments


def in_modified_order(posts: list[PostSignal]) -> bool:
    """Whether every post has a modified time and none is newer than the one before it."""
    modified = [p.modified for p in posts]
    return None not in modified and all(a >= b for a, b in itertools.pairwise(modified))  # type: ignore[operator]


def orderby_honoured(posts: list[PostSignal], *, proven_before: bool = False) -> bool:
    """Whether a feed asked for ``orderby=modified`` came in that order, provably: its modified times
    never rise, and its publication times do somewhere (so it is not the date order a site that ignores
    the query var sends). A page that cannot tell the two apart proves nothing on its own; it is trusted
    when an earlier run proved that the site honours the query var (``proven_before``)."""
    if not in_modified_order(posts):
        return False
    published = [p.published for p in posts]
    reordered = None not in published and any(a < b for a, b in itertools.pairwise(published))  # type: ignore[operator]
    return reordered or proven_before


def newer_than(posts: list[PostSignal], mark: datetime | None) -> tuple[list[PostSignal], bool]:
    """The posts modified after ``mark`` (all when there is none), and whether the list reached ``mark``
    (an entry not newer than it: older pages need not be read)."""
    if mark is None:
        return list(posts), False
    fresh = [p for p in posts if p.modified is not None and p.modified > mark]
    return fresh, len(fresh) < len(posts)


def comments_after(comments: list[CommentSignal], last_seen: int | None) -> tuple[list[CommentSignal], bool]:
    """The comments newer than comment id ``last_seen`` (WordPress ids grow), and whether the page reached
    a comment already seen."""
    if last_seen is None:
        return list(comments), False
    fresh = [c for c in comments if c.comment_id > last_seen]
    return fresh, len(fresh) < len(comments)


def modified_feed_path(page: int) -> str:
    """Page ``page`` of the Atom feed ordered by modification (``orderby`` is a public query var)."""
    return "/feed/atom/?orderby=modified" + (f"&paged={page}" if page > 1 else "")


def comments_feed_path(page: int) -> str:
    return "/comments/feed/" + (f"?paged={page}" if page > 1 else "")


def rest_posts_path(page: int, modified_after: datetime | None) -> str:
    """Page ``page`` of the REST API's posts modified after ``modified_after``, newest first, only the
    fields a signal reads."""
    after = f"&modified_after={modified_after.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z" if modified_after else ""
    query = f"orderby=modified&order=desc&per_page={REST_PAGE_SIZE}&_fields=id,link,date_gmt,modified_gmt{after}"
    return f"/wp-json/wp/v2/posts?{query}&page={page}"


def rest_comments_path(page: int) -> str:
    """Page ``page`` of the REST API's comments, newest first."""
    query = f"orderby=date_gmt&order=desc&per_page={REST_PAGE_SIZE}&_fields=id,post,link,date_gmt"
    return f"/wp-json/wp/v2/comments?{query}&page={page}"


MAX_SIGNAL_PAGES = 30  # pages of one feed or REST listing a run reads at most (300 feed entries, 3,000 REST posts)


@dataclass(slots=True)
class ChangeSignals:
    """One run's reading of the signals: what to request next, and which posts they named.

    ``modified_mark`` is the newest modification time a previous complete read saw (the site's clock),
    ``comment_mark`` the newest comment id; a reader pages back until it reaches them. A modification
    index read down to its mark (REST, or a feed shown to be in modification order) is *complete*: a
    post it does not name has not been modified since the mark."""

    modified_mark: datetime | None = None
    comment_mark: int | None = None
    max_pages: int = MAX_SIGNAL_PAGES
    modified: dict[str, PostSignal] = field(default_factory=dict)  # posts modified after the mark, by URL
    published: dict[str, PostSignal] = field(default_factory=dict)  # the newest posts (date-ordered feeds)
    commented: dict[str, CommentSignal] = field(default_factory=dict)  # newest new comment per post URL
    index_source: str | None = None  # "rest" or "feed" once one was read down to its mark
    comments_complete: bool = False
    newest_modified: datetime | None = None
    newest_comment: int | None = None

    def _saw_modified(self, posts: list[PostSignal]) -> None:
        for post in posts:
            if post.modified is not None and (self.newest_modified is None or post.modified > self.newest_modified):
                self.newest_modified = post.modified

    def modified_page(self, posts: list[PostSignal], page: int, source: str, *, last_page: bool = False) -> bool:
        """Take one page of a modification index (``source``: "rest", or "feed" when the caller checked
        :func:`orderby_honoured`); True when the next page should be read."""
        fresh, reached = newer_than(posts, self.modified_mark)
        for post in fresh:
            self.modified.setdefault(post.url, post)
        self._saw_modified(posts)
        if reached or last_page or not posts:
            if self.index_source != "rest":  # the REST API is the authority when both were read
                self.index_source = source
            return False
        return page < self.max_pages

    def published_page(self, posts: list[PostSignal]) -> None:
        """Take a date-ordered feed page: its posts are the newest (new posts, if the archive lacks them)."""
        for post in posts:
            self.published.setdefault(post.url, post)

    def comments_page(self, comments: list[CommentSignal], page: int, page_size: int = FEED_PAGE_SIZE) -> bool:
        """Take one page of the comments feed (or of the REST API's comments, ``page_size`` 100); True
        when the next page should be read."""
        fresh, reached = comments_after(comments, self.comment_mark)
        for comment in fresh:
            self.commented.setdefault(comment.post_url, comment)
        for comment in comments:
            if self.newest_comment is None or comment.comment_id > self.newest_comment:
                self.newest_comment = comment.comment_id
        if reached or len(comments) < page_size:  # a short page is the last one
            self.comments_complete = True
            return False
        if self.comment_mark is None:  # nothing to page back to: the first page says what is new
            self.comments_complete = True
            return False
        return page < self.max_pages

    @property
    def next_modified_mark(self) -> datetime | None:
        """The mark the next run reads back to: this run's newest modification once its index was read
        to the end, else the old mark."""
        if self.index_source is None:
            return self.modified_mark
        marks = [m for m in (self.modified_mark, self.newest_modified) if m is not None]
        return max(marks, default=None)

    @property
    def next_comment_mark(self) -> int | None:
        if not self.comments_complete:
            return self.comment_mark
        marks = [m for m in (self.comment_mark, self.newest_comment) if m is not None]
        return max(marks, default=None)
