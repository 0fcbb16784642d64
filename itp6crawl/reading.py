"""Reading a fetched page for the archive: the pure, CPU-bound half of the crawl's work, in one call
that a worker process can run (see :mod:`itp6crawl.workers`).

One parse of the page gives the post links a crawler follows and the article; the article's URLs are
put on the canonical site, and its search columns are made (segmentation). No Scrapy, no SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .extract import DEFAULT_OPTIONS, ExtractOptions, extract_page
from .records import Article, Segments
from .text import segment_article
from .urls import rebase_article

NO_POST_ID = "no post id in the page or its URL"


@dataclass(slots=True)
class PageReading:
    """The article of a page and its search columns, or why there is none; and the links to follow."""

    article: Article | None
    segments: Segments | None = None
    error: str | None = None
    followed: list[str] = field(default_factory=list)


def read_page(html: bytes, url: str, options: ExtractOptions = DEFAULT_OPTIONS) -> PageReading:
    """Extract, rebase (on ``options.canonical_site``) and segment the article of the page fetched from
    ``url``.

    A page that holds no article (``ExtractionError``) or none with a post id gives ``error``; any other
    exception (a bug) propagates."""
    extracted = extract_page(html, url, options)
    if extracted.article is None:
        return PageReading(None, error=extracted.error, followed=extracted.followed)
    if extracted.article.id is None:
        return PageReading(None, error=NO_POST_ID, followed=extracted.followed)
    article = rebase_article(extracted.article, url, options.canonical_site)
    return PageReading(article, segment_article(article), followed=extracted.followed)
