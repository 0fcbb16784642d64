"""The page record: one fetched page, as the spider yields it and the ingest core reads and records it
(plain data, no Scrapy; reindex makes them from WARC records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .records import Article, Segments


@dataclass(slots=True)
class PageItem:
    url: str  # the URL the body came from (after redirects)
    request_url: str
    status: int | None
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    charset: str | None = None  # from the Content-Type header; the body may contradict it
    sitemap_lastmod: str | None = None  # the sitemap's lastmod when the URL came from a sitemap
    in_sitemap: bool = False  # a sitemap listed it (else it is known from links and listings)
    # Why the revisit plan requested it (revisit.Reason's value; None outside a planned run). Only a
    # re-read chosen without a signal is a fair sample of the page's changes (revisit.UNSIGNALLED).
    reason: str | None = None
    warc: tuple[str, int] | None = None  # WARC file and offset of the response record
    failure: str | None = None  # why this page cannot be archived; set by the spider or a pipeline
    article: Article | None = None  # set by ExtractPipeline
    segments: Segments | None = None  # set by ExtractPipeline too
    new_comments: int = 0  # comments an unchanged article gained (archived without a new version)
    outcome: str | None = None  # what recording the page did (an ingest.PageOutcome value: "new", "gone"…)

    def header(self, name: str) -> str | None:
        """A response header, whatever the case of its name (Scrapy writes ``Etag``, servers ``ETag``)."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)
