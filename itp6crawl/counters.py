"""The counters of a crawl run, declared once.

A crawl counts in Scrapy's stats (``itp6/…`` keys and two of Scrapy's own); the run log keeps some of
them as ``crawl_runs`` columns; ``reindex`` reports the same keys; the progress display reads them.
Each of those derives its names from here. Plain constants and functions: every layer may use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "itp6/"

# Pages and requests (the spider and the downloader middlewares count them).
DISCOVERED = PREFIX + "discovered"
FETCHED = PREFIX + "fetched"
NOT_MODIFIED = PREFIX + "not_modified"  # 304 responses
SKIPPED_LASTMOD = PREFIX + "skipped_lastmod"
SKIPPED_SINCE = PREFIX + "skipped_since"
NOT_DUE = PREFIX + "not_due"  # archived posts the revisit plan left alone: no signal, not due
PLANNED = PREFIX + "planned/"  # + a revisit.Reason: posts the revisit plan requested for that reason
MODIFICATION_INDEX = PREFIX + "modification_index"  # a value: "rest" or "feed" when one was read to its mark
DEFERRED = PREFIX + "deferred"  # due or signalled posts past the run's budget: still due next run
REQUESTS = "downloader/request_count"  # Scrapy's
RESPONSE_BYTES = "downloader/response_bytes"  # Scrapy's
RESPONSES = "response_received_count"  # Scrapy's
CONDITIONAL_REQUESTS = PREFIX + "conditional_requests"  # requests sent with validators
REDIRECTS_REFUSED = PREFIX + "redirects_refused"
SITEMAP_INVALID = PREFIX + "sitemap_invalid"
FETCH_FAILED = PREFIX + "fetch_failed"
LIMIT_DROPPED = PREFIX + "limit_dropped"  # pages past the run's limit, not stored
SLOW_WRITES = PREFIX + "slow_writes"  # writes that waited for another process's lock

# Values, not counts: the run's id and the exit status it ended with.
RUN_ID = PREFIX + "run_id"
EXIT_STATUS = PREFIX + "exit_status"

# What reading a page found (see itp6crawl.ingest.Reading).
INCOMPLETE_PAGES = PREFIX + "incomplete_pages"
EXTRACTOR_THEME = PREFIX + "extractor/theme"
EXTRACTOR_FALLBACK = PREFIX + "extractor/fallback"

# What recording a page did to the archive (see itp6crawl.ingest.Outcome).
ARTICLES_NEW = PREFIX + "articles_new"
ARTICLES_CHANGED = PREFIX + "articles_changed"
ARTICLES_UNCHANGED = PREFIX + "articles_unchanged"
ARTICLES_NOT_MODIFIED = PREFIX + "articles_not_modified"
ARTICLES_GONE = PREFIX + "articles_gone"
FAILURES = PREFIX + "failures"
COMMENTS_ADDED = PREFIX + "comments_added"  # comments archived on an unchanged article (no new version)

# crawl_runs column -> the stat it is taken from, in the order ``itp6crawl runs`` shows them.
RUN_COUNTS: dict[str, str] = {
    "discovered": DISCOVERED,
    "requested": REQUESTS,
    "fetched": FETCHED,
    "not_modified": NOT_MODIFIED,
    "skipped_lastmod": SKIPPED_LASTMOD,
    "articles_new": ARTICLES_NEW,
    "articles_changed": ARTICLES_CHANGED,
    "articles_unchanged": ARTICLES_UNCHANGED,
    "articles_gone": ARTICLES_GONE,
    "comments_added": COMMENTS_ADDED,
    "failed": FAILURES,
    "fallbacks": EXTRACTOR_FALLBACK,
    "bytes": RESPONSE_BYTES,
}
RUN_COUNT_COLUMNS = tuple(RUN_COUNTS)

# The stats that say a run saw articles (stored, unchanged, gone, or passed over on purpose): a run
# that finished with none of them archived nothing.
ARTICLES_SEEN = (
    ARTICLES_NEW,
    ARTICLES_CHANGED,
    ARTICLES_UNCHANGED,
    ARTICLES_GONE,
    ARTICLES_NOT_MODIFIED,
    SKIPPED_LASTMOD,
    SKIPPED_SINCE,
    NOT_DUE,
)


def count(stats: Mapping[str, Any], key: str) -> int:
    """The count of ``key`` in ``stats`` (0 when absent or None)."""
    value = stats.get(key)
    return int(value) if value else 0


def run_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """The ``crawl_runs`` counts of a run's stats."""
    return {column: count(stats, key) for column, key in RUN_COUNTS.items()}


def short_name(key: str) -> str:
    """``itp6/articles_new`` -> ``articles_new``: a counter's name as reports print it."""
    return key.removeprefix(PREFIX)
