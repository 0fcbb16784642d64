"""The revisit policy: which archived posts a run re-reads, in what order, under a budget. Pure functions.

Each post has a history (:class:`PostHistory`): when it was first and last fetched, how many re-reads
compared it with the archived version and how many of those found a change (its text, or comments).
Its change rate is estimated from that history as web-scale crawlers do (Cho & Garcia-Molina, "Estimating
frequency of change", 2003): with ``n`` re-reads at mean interval ``I`` of which ``X`` found a change,
``λ = -ln((n - X + 0.5) / (n + 0.5)) / I``, which stays finite when every visit found a change and does
not take "no change seen" for "never changes". A post with little history leans on what the archive has
learnt of posts of its age (:func:`pooled_rates`: young posts are edited and commented far more often),
weighted as ``prior_weight`` re-reads.

A post is due when the chance that it changed since it was last checked, ``1 - exp(-λ·Δt)``, reaches
``revisit_at``, and always once it has not been checked for ``max_interval_days``. A post is checked
by a fetch, or by a complete read of an index that names every modification (the REST API ordered by
``modified``, a feed provably ordered so, a sitemap ``lastmod``): a post such an index does not name has
not changed. A run spends its budget on new and signalled posts first, then posts past the maximum
interval (longest unchecked first), then due posts by expected staleness; what it does not reach stays due.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DAY = 86400.0

# Age classes (days since publication) the archive pools what it learns over, and the rates assumed
# before it has seen anything (changes a day): a week-old post is edited and commented on far more
# often than a year-old one. Evidence outweighs them after PRIOR_EXPOSURE_DAYS of observation.
AGE_CLASSES = (7.0, 30.0, 365.0, math.inf)
DEFAULT_CLASS_RATES = (1 / 7, 1 / 30, 1 / 365, 1 / 1000)
PRIOR_EXPOSURE_DAYS = 30.0


class Reason(StrEnum):
    """Why a run requests a post (the order of the members is the order of precedence)."""

    NEW = "new"
    MODIFIED = "modified"  # a modification index (REST, the modified-ordered feed) names it
    LASTMOD = "lastmod"  # its sitemap lastmod is newer than its last fetch
    COMMENT = "comment"  # a new comment on it (comments feed or REST)
    LEFT_SITEMAP = "left-sitemap"  # live in the archive but in no sitemap: gone?
    LINKED = "linked"  # linked from archived pages, never fetched (after a run that stopped early)
    MAX_INTERVAL = "max-interval"  # not checked for the maximum interval
    DUE = "due"  # likely changed, by its estimated change rate
    SWEEP = "sweep"  # reaches the maximum interval within sweep_days: read early, with budget to spare


_REASONS = frozenset(reason.value for reason in Reason)
# Re-reads that sample a post's changes fairly: chosen without knowing whether it changed. A fetch a
# signal asked for nearly always finds a change, and counting it would teach the estimator that every
# post changes at every visit.
UNSIGNALLED = frozenset({None, Reason.MAX_INTERVAL.value, Reason.DUE.value, Reason.SWEEP.value})


def unbiased(reason: str | None) -> bool:
    """Whether a fetch requested for ``reason`` counts in the post's change history."""
    return reason in UNSIGNALLED


@dataclass(frozen=True, slots=True)
class PostHistory:
    """What the archive knows of one post's changes (from ``crawl_state`` and ``articles``)."""

    url: str
    published_at: datetime | None = None
    first_fetched_at: datetime | None = None
    fetched_at: datetime | None = None  # the last fetch with a readable page
    checks: int = 0  # re-reads compared with the archived version
    changes: int = 0  # of those, the ones that found a change (content or comments)
    signalled_at: datetime | None = None  # a signal named a change that no fetch has read yet
    signal: str | None = None  # which (a Reason's value)

    def age_days(self, now: datetime) -> float:
        start = self.published_at or self.first_fetched_at or now
        return max(0.0, (now - start).total_seconds() / DAY)

    def observed_days(self) -> float:
        if self.first_fetched_at is None or self.fetched_at is None:
            return 0.0
        return max(0.0, (self.fetched_at - self.first_fetched_at).total_seconds() / DAY)


@dataclass(frozen=True, slots=True)
class Policy:
    """How a run chooses what to re-read. ``kind``: ``adaptive`` (this module's policy), ``fixed``
    (every post every ``fixed_days``, the old cycle) or ``all`` (every post a sitemap ``lastmod`` does not
    vouch for, every run: what crawls did before, and on a site without ``lastmod``, everything)."""

    kind: str = "adaptive"
    max_interval_days: float = 30.0
    revisit_at: float = 0.1  # re-read when the chance of a change since the last check reaches this
    prior_weight: float = 2.0  # how many re-reads the pooled rate of the post's age counts as
    fixed_days: float = 7.0
    sweep_days: float = 7.0  # posts this close to the maximum interval fill a run's spare budget

    def __post_init__(self) -> None:
        if self.kind not in ("adaptive", "fixed", "all"):
            raise ValueError(f"policy must be adaptive, fixed or all, not {self.kind!r}")
        if self.max_interval_days <= 0 or not 0 < self.revisit_at < 1:
            raise ValueError("max_interval_days must be positive and revisit_at between 0 and 1")


def age_class(age_days: float) -> int:
    return next(i for i, bound in enumerate(AGE_CLASSES) if age_days < bound)


def cho_garcia_molina(checks: int, changes: int, observed_days: float) -> float | None:
    """The change rate (a day) from ``checks`` re-reads over ``observed_days``, ``changes`` of which
    found a change; None without a re-read to learn from."""
    if checks <= 0 or observed_days <= 0:
        return None
    changes = min(changes, checks)
    interval = observed_days / checks
    return -math.log((checks - changes + 0.5) / (checks + 0.5)) / interval


def pooled_rates(histories: Iterable[PostHistory], now: datetime) -> tuple[float, ...]:
    """The change rate of each age class, learnt from every post's re-reads (each post's observation
    counted in the class of its age halfway through it), shrunk towards :data:`DEFAULT_CLASS_RATES` by
    :data:`PRIOR_EXPOSURE_DAYS` of pseudo-observation."""
    changes = [0.0] * len(AGE_CLASSES)
    exposure = [0.0] * len(AGE_CLASSES)
    for history in histories:
        observed = history.observed_days()
        if history.checks <= 0 or observed <= 0 or history.fetched_at is None:
            continue
        middle = history.age_days(now) - (now - history.fetched_at).total_seconds() / DAY - observed / 2
        index = age_class(max(0.0, middle))
        changes[index] += min(history.changes, history.checks)
        exposure[index] += observed
    return tuple(
        (changes[i] + DEFAULT_CLASS_RATES[i] * PRIOR_EXPOSURE_DAYS) / (exposure[i] + PRIOR_EXPOSURE_DAYS)
        for i in range(len(AGE_CLASSES))
    )


def change_rate(history: PostHistory, now: datetime, pooled: tuple[float, ...], policy: Policy) -> float:
    """The post's estimated changes a day: its own estimate, weighted by its re-reads, and the pooled
    rate of posts of its age, weighted as ``policy.prior_weight`` re-reads."""
    prior = pooled[age_class(history.age_days(now))]
    own = cho_garcia_molina(history.checks, history.changes, history.observed_days())
    if own is None:
        return prior
    return (history.checks * own + policy.prior_weight * prior) / (history.checks + policy.prior_weight)


def expected_staleness(rate: float, since_days: float) -> float:
    """The chance that a post changing ``rate`` times a day changed within ``since_days``."""
    return 1.0 - math.exp(-rate * max(0.0, since_days))


@dataclass(frozen=True, slots=True)
class PlannedFetch:
    url: str
    reason: Reason
    rate: float | None = None  # estimated changes a day (due posts)
    staleness: float | None = None  # chance it changed since its last check


@dataclass(slots=True)
class Plan:
    """What a run requests, in order, and what its budget leaves for the next run."""

    fetches: list[PlannedFetch] = field(default_factory=list)
    deferred: list[PlannedFetch] = field(default_factory=list)  # chosen but over the budget: still due
    not_due: int = 0

    def by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for fetch in self.fetches:
            counts[fetch.reason.value] = counts.get(fetch.reason.value, 0) + 1
        return counts


def _still_signalled(history: PostHistory) -> bool:
    """Signalled by an earlier run and not fetched since (its budget ran out first)."""
    signalled, fetched = history.signalled_at, history.fetched_at
    return signalled is not None and (fetched is None or signalled > fetched)


def plan(
    histories: Iterable[PostHistory],
    *,
    now: datetime,
    policy: Policy = Policy(),
    signalled: Mapping[str, Reason] | None = None,
    verified: Iterable[str] = (),
    verified_through: datetime | None = None,
    unlisted: Iterable[str] = (),
    budget: int | None = None,
) -> Plan:
    """The posts a run fetches, in order, at most ``budget`` (None: no limit).

    ``signalled``: posts a signal names this run (new ones included), with the reason. ``verified``: posts
    an index showed unchanged this run (a sitemap ``lastmod`` no newer than their last fetch).
    ``verified_through``: the time of a complete read of a modification index: every post it did not
    name was unchanged then. ``unlisted``: posts no sitemap lists; an index cannot tell that they still
    exist (a deleted post just leaves it), so only a fetch checks them.

    A post signalled in an earlier run and never fetched since (its
    ``signalled_at``) is still signalled."""
    signalled = dict(signalled or {})
    verified_now = set(verified)
    unlisted = set(unlisted)
    chosen: list[PlannedFetch] = [PlannedFetch(url, reason) for url, reason in signalled.items()]
    overdue: list[tuple[float, PlannedFetch]] = []
    due: list[tuple[float, PlannedFetch]] = []
    upcoming: list[tuple[float, PlannedFetch]] = []
    histories = list(histories)
    pooled = pooled_rates(histories, now) if policy.kind == "adaptive" else DEFAULT_CLASS_RATES
    not_due = 0
    for history in histories:
        if history.url in signalled:
            continue
        if _still_signalled(history):  # with the reason it was signalled for
            reason = Reason(history.signal) if history.signal in _REASONS else Reason.MODIFIED
            chosen.append(PlannedFetch(history.url, reason))
            continue
        if policy.kind == "all":  # what a crawl did before this policy: every post a lastmod does not vouch for
            if history.url in verified_now:
                not_due += 1
            else:
                due.append((0.0, PlannedFetch(history.url, Reason.DUE)))
            continue
        fetched = history.fetched_at
        since_fetch = (now - fetched).total_seconds() / DAY if fetched else math.inf
        if policy.kind == "fixed":
            if since_fetch >= policy.fixed_days:
                overdue.append((-since_fetch, PlannedFetch(history.url, Reason.DUE)))
            else:
                not_due += 1
            continue
        checked = fetched
        if history.url in verified_now:
            checked = now
        elif (
            verified_through is not None
            and history.url not in unlisted
            and (checked is None or verified_through > checked)
        ):
            checked = verified_through
        since = (now - checked).total_seconds() / DAY if checked else math.inf
        rate = change_rate(history, now, pooled, policy)
        staleness = expected_staleness(rate, since)
        if since >= policy.max_interval_days:
            overdue.append((-since, PlannedFetch(history.url, Reason.MAX_INTERVAL, rate, staleness)))
        elif staleness >= policy.revisit_at:
            due.append((-staleness, PlannedFetch(history.url, Reason.DUE, rate, staleness)))
        elif since >= policy.max_interval_days - policy.sweep_days:
            upcoming.append((-since, PlannedFetch(history.url, Reason.SWEEP, rate, staleness)))
        else:
            not_due += 1
    chosen.sort(key=lambda fetch: list(Reason).index(fetch.reason))
    overdue.sort(key=lambda pair: pair[0])
    due.sort(key=lambda pair: pair[0])
    ordered = chosen + [fetch for _, fetch in overdue] + [fetch for _, fetch in due]
    limit = len(ordered) if budget is None else max(0, budget)
    # Posts reaching the maximum interval soon are read early, only with a budget's room to spare: posts
    # first read on the same day (the first crawl read them all) would otherwise fall due together and
    # overrun a run's budget, some of them past the interval.
    upcoming.sort(key=lambda pair: pair[0])
    early = [fetch for _, fetch in upcoming][: max(0, limit - len(ordered))] if budget is not None else []
    not_due += len(upcoming) - len(early)
    return Plan(ordered[:limit] + early, ordered[limit:], not_due)


def signalled_posts(
    known: set[str] | frozenset[str],
    *,
    listed: Iterable[str] = (),
    modified: Iterable[str] = (),
    lastmod_newer: Iterable[str] = (),
    commented: Iterable[str] = (),
    left_sitemap: Iterable[str] = (),
    linked: Iterable[str] = (),
) -> dict[str, Reason]:
    """Why each post a signal named is requested this run (canonical URLs in, the first reason wins):
    a post the archive does not know (``known``) is new, whatever named it; ``listed`` (sitemaps, the
    newest posts of a feed) names only new posts."""
    reasons: dict[str, Reason] = {}
    for reason, urls in (
        (None, listed),
        (Reason.MODIFIED, modified),
        (Reason.LASTMOD, lastmod_newer),
        (Reason.COMMENT, commented),
        (Reason.LEFT_SITEMAP, left_sitemap),
        (Reason.LINKED, linked),
    ):
        for url in urls:
            if url not in known:
                reasons.setdefault(url, Reason.NEW)
            elif reason is not None:
                reasons.setdefault(url, reason)
    return dict(sorted(reasons.items(), key=lambda item: list(Reason).index(item[1])))


def budget_requests(budget: str | int | None, delay_seconds: float) -> int | None:
    """Requests a run may make: ``450`` is requests, ``15m`` minutes at ``delay_seconds`` a request (so
    900 s / 2 s = 450); ``0``, ``none`` or None: no limit. ValueError for anything else."""
    if budget is None:
        return None
    text = str(budget).strip().lower()
    if text in ("0", "none", "unlimited", ""):
        return None
    try:
        if text.endswith(("m", "min")):
            minutes = float(text.removesuffix("min").removesuffix("m"))
            if minutes <= 0 or delay_seconds <= 0:
                raise ValueError
            return max(1, int(minutes * 60 / delay_seconds))
        requests = int(text)
    except ValueError:
        raise ValueError(f"a budget is requests (450) or minutes at the polite delay (15m), not {budget!r}") from None
    if requests < 0:
        raise ValueError(f"a budget cannot be negative: {budget!r}")
    return requests or None
