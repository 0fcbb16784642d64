"""The records that travel through the pipeline: what extraction returns and the archive stores.

Plain dataclasses, no Scrapy and no SQLite, so every layer can use them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Image:
    src: str
    alt: str = ""
    caption: str = ""


@dataclass(slots=True)
class Link:
    """A link from one article to another page: related post, previous or next post."""

    url: str
    title: str = ""
    date: str | None = None  # as ISO date (YYYY-MM-DD) where the page shows one


@dataclass(slots=True)
class Comment:
    author: str
    text: str
    time: str | None = None  # ISO 8601 with +08:00
    comment_id: int | None = None
    parent_id: int | None = None


@dataclass(slots=True)
class Segments:
    """The search columns of an article, made by segmentation (jieba-compatible tokens)."""

    title_seg: str = ""
    body_seg: str = ""
    search_extra: str = ""


@dataclass(slots=True)
class Article:
    """One article page, extracted. ``to_dict`` gives the public JSON form."""

    url: str
    id: int | None = None
    title: str = ""
    author: str = ""
    credit: str = ""
    published_at: str | None = None
    modified_at: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    body_text: str = ""
    body_html: str = ""
    images: list[Image] = field(default_factory=list)
    views: int | None = None
    likes: int | None = None
    related: list[Link] = field(default_factory=list)
    prev: Link | None = None
    next: Link | None = None
    comments: list[Comment] = field(default_factory=list)
    extractor: str = "theme"  # 'theme' or 'fallback'
    theme: str | None = None  # 'justnews6', 'justnews5' or None when unrecognised
    warnings: list[str] = field(default_factory=list)

    @property
    def prev_url(self) -> str | None:
        return self.prev.url if self.prev else None

    @property
    def next_url(self) -> str | None:
        return self.next.url if self.next else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["prev_url"] = self.prev_url
        data["next_url"] = self.next_url
        return data
