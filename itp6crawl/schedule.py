"""The next run, foreseen without fetching (``itp6crawl plan``): what it will request and why, and how long
that takes at the polite delay.

A run first reads the fixed pages (robots.txt, the sitemaps, the home page) and the change signals (the
feed ordered by modification, the comments feed, the REST API), then the posts the revisit plan chooses.
What the signals will name is known only when they are read; the plan shows the posts already known to
be due (by the maximum interval, their estimated change rate, or a signal an earlier run could not
reach within its budget) and what the signals named last time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import counters, revisit
from .settings import DOWNLOAD_DELAY as POLITE_DELAY
from .store.reports import revisit_facts
from .times import CST, parse_iso

SITEMAP_SIZE = 2000  # URLs in a WordPress core posts sitemap
FIXED_PAGES = ("robots.txt", "sitemap index", "page and category sitemaps (2)", "home page")
SIGNAL_PAGES = 3  # the feed ordered by modification, the comments feed, the REST API's posts


@dataclass(slots=True)
class NextRun:
    plan: revisit.Plan
    fixed_requests: int  # robots.txt, sitemaps, home page, the first page of each signal
    budget: int | None
    last_signalled: dict[str, int]  # what the last run's signals named, by reason
    index: str | None  # which modification index the last run could read ("rest", "feed") or None
    posts: int

    @property
    def requests(self) -> int:
        return self.fixed_requests + len(self.plan.fetches)

    def minutes(self, delay: float = POLITE_DELAY) -> float:
        return self.requests * delay / 60


def next_run(
    path: str | Path,
    *,
    budget: str | int | None,
    max_interval_days: float,
    now: datetime | None = None,
    delay: float = POLITE_DELAY,
) -> NextRun:
    """The next incremental run of the archive at ``path``, as far as it can be known without fetching."""
    facts = revisit_facts(path)
    histories: list[revisit.PostHistory] = facts["histories"]
    now = now or datetime.now(CST)
    limit = revisit.budget_requests(budget, delay)
    fixed = len(FIXED_PAGES) + 1 + math.ceil(max(len(histories), 1) / SITEMAP_SIZE) + SIGNAL_PAGES
    index = "feed" if facts["marks"].get("feed_orderby") == "honoured" else None
    last_run = facts["last_run"] or {}
    stats: dict[str, Any] = last_run.get("stats") or {}
    last = {
        name.removeprefix(counters.PLANNED): int(value)
        for name, value in stats.items()
        if name.startswith(counters.PLANNED) and value
    }
    index = stats.get(counters.MODIFICATION_INDEX) or index
    # The last run's modification index vouches for every post up to its start, as it will this time.
    verified_through = parse_iso(last_run.get("started_at") or "") if index else None
    plan = revisit.plan(
        histories,
        now=now,
        policy=revisit.Policy(max_interval_days=max_interval_days),
        verified_through=verified_through,
        budget=None if limit is None else max(0, limit - fixed),
    )
    return NextRun(plan, fixed, limit, last, index, len(histories))
