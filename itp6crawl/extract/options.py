"""What a page's reading needs besides its bytes and URL, in one object (trafilatura's ``Extractor`` is
the model): it is made once per fetched page and crosses to a worker process with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..urls import CANONICAL_SITE


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """``fetched_at`` resolves relative dates (3天前; None: now); ``header_charset`` is the HTTP header's
    charset, which the bytes may contradict; ``canonical_site`` is the site the archive writes the page's
    URLs on (:func:`~itp6crawl.reading.read_page` rebases the article on it; extraction keeps the URLs as
    the page wrote them)."""

    fetched_at: datetime | None = None
    header_charset: str | None = None
    canonical_site: str = CANONICAL_SITE


DEFAULT_OPTIONS = ExtractOptions()
