"""A simulated calendar for the replica: days pass and the site changes as the live one does.

New posts, comments (most on recent posts), edits (most in a post's first weeks) and deletions arrive at
the live site's rates, drawn from a seed, so a revisit policy can be measured against a known truth
(:meth:`~itp6crawl.replica.site.Site.fingerprint`) over simulated months in seconds.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .site import Site

DAY = 86400.0
FIRST_WEEK, FIRST_MONTH = 7, 28  # the edit-probability periods: days 1-7, days 8-28, later


@dataclass(frozen=True)
class ChangeRates:
    """How fast the site changes; the defaults are the live site's (about 18,700 posts)."""

    new_posts_per_day: float = 5.0
    comments_per_day: float = 30.0
    recent_comment_share: float = 0.6  # of comments, on a post published less than recent_days ago
    recent_days: int = 30
    edit_first_week: float = 0.20  # probability that a post is edited at least once in its first 7 days
    edit_weeks_2_to_4: float = 0.05  # the same for days 8-28
    edit_later_per_day: float = 0.0002  # per post and day, after day 28
    delete_per_day: float = 0.0001  # per post and day

    def scaled(self, factor: float) -> ChangeRates:
        """These rates with the two per-day counts (new posts, comments) multiplied by ``factor``."""
        return replace(
            self,
            new_posts_per_day=self.new_posts_per_day * factor,
            comments_per_day=self.comments_per_day * factor,
        )

    def doubled(self) -> ChangeRates:
        """Every rate twice as high: counts and probabilities (capped at 1)."""
        return replace(
            self.scaled(2.0),
            edit_first_week=min(1.0, self.edit_first_week * 2),
            edit_weeks_2_to_4=min(1.0, self.edit_weeks_2_to_4 * 2),
            edit_later_per_day=min(1.0, self.edit_later_per_day * 2),
            delete_per_day=min(1.0, self.delete_per_day * 2),
        )

    def daily_edit_probability(self, age_days: float) -> float:
        """A post's probability of an edit on one day of its life, from the per-period probabilities."""
        if age_days < FIRST_WEEK:
            return 1 - (1 - self.edit_first_week) ** (1 / FIRST_WEEK)
        if age_days < FIRST_MONTH:
            return 1 - (1 - self.edit_weeks_2_to_4) ** (1 / (FIRST_MONTH - FIRST_WEEK))
        return self.edit_later_per_day


@dataclass(frozen=True)
class ChangeEvent:
    """One change the calendar made: ``kind`` is new_post, comment, edit or delete."""

    kind: str
    post_id: int
    at: datetime
    comment_id: int | None = None


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method, in pieces of mean 50 at most so exp() never underflows)."""
    total = 0
    while mean > 0:
        part = min(mean, 50.0)
        mean -= part
        limit, k, product = math.exp(-part), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        total += k
    return total


class SimulatedCalendar:
    """``calendar.advance(days)`` moves ``site.now`` forward and applies that time's changes, in time order.

    Same site, rates and seed: same events. Young posts (published in the last 28 or ``recent_days`` days,
    whichever is longer) are kept in a sorted list, so a day costs little even at 18,700 posts."""

    def __init__(self, site: Site, rates: ChangeRates | None = None, seed: int = 0) -> None:
        self.site = site
        self.rates = rates or ChangeRates()
        self.rng = random.Random(f"itp6-calendar-{seed}")
        self.events: list[ChangeEvent] = []
        self._keep_days = max(self.rates.recent_days, FIRST_MONTH)
        since = site.now - timedelta(days=self._keep_days)
        self._young: list[tuple[datetime, int]] = sorted(
            (a.published, a.id) for a in site.articles if a.published >= since
        )

    def advance(self, days: float = 1.0) -> list[ChangeEvent]:
        """Move the clock ``days`` forward (a day at a time) and return the changes made, in time order."""
        made: list[ChangeEvent] = []
        end = self.site.now + timedelta(days=days)
        remaining = days
        while remaining > 1e-9:
            step = min(1.0, remaining)
            made += self._step(step)
            remaining -= step
        self.site.now = end
        self.events += made
        return made

    def _step(self, days: float) -> list[ChangeEvent]:
        site, rates, rng = self.site, self.rates, self.rng
        start = site.now
        seconds = days * DAY
        cut = bisect.bisect_left(self._young, (start - timedelta(days=self._keep_days), -1))
        del self._young[:cut]

        def at() -> datetime:
            return (start + timedelta(seconds=rng.uniform(0, seconds))).replace(microsecond=0)

        planned: list[tuple[datetime, int, str, int]] = []  # (time, order drawn, kind, post id or 0)
        for _ in range(poisson(rng, rates.new_posts_per_day * days)):
            planned.append((at(), len(planned), "new_post", 0))
        for _ in range(poisson(rng, rates.comments_per_day * days)):
            planned.append((at(), len(planned), "comment", 0))
        young_ids = set()
        for published, post_id in self._young:  # young posts: each its own daily edit probability
            young_ids.add(post_id)
            age = (start - published).total_seconds() / DAY
            if age >= FIRST_MONTH:
                continue  # kept only as a comment target; edited at the later rate below
            if rng.random() < 1 - (1 - rates.daily_edit_probability(age)) ** days:
                planned.append((max(at(), published), len(planned), "edit", post_id))
        live = site.article_count()
        later = 1 - (1 - rates.edit_later_per_day) ** days
        for _ in range(poisson(rng, max(0, live - len(young_ids)) * later)):
            spec = site.pick_article(rng)
            if spec is not None and (start - spec.published).days >= FIRST_MONTH:
                planned.append((at(), len(planned), "edit", spec.id))
        for _ in range(poisson(rng, live * (1 - (1 - rates.delete_per_day) ** days))):
            planned.append((at(), len(planned), "delete", 0))
        planned.sort()
        made: list[ChangeEvent] = []
        for when, _, kind, post_id in planned:
            event = self._apply(when, kind, post_id)
            if event is not None:
                made.append(event)
        return made

    def _apply(self, when: datetime, kind: str, post_id: int) -> ChangeEvent | None:
        site = self.site
        site.now = max(site.now, when)
        if kind == "new_post":
            spec = site.add_article(published=when)
            self._young.append((spec.published, spec.id))  # times are applied in order: the list stays sorted
            return ChangeEvent(kind, spec.id, when)
        if kind == "comment":
            target = self._comment_target(when)
            if target is None:
                return None
            comment = site.add_comment(target, when)
            return ChangeEvent(kind, target, when, int(comment["comment_id"]))  # type: ignore[call-overload]
        if kind == "edit":
            if site.article(post_id) is None:  # deleted earlier the same day
                return None
            site.update_article(post_id, modified=when)
            return ChangeEvent(kind, post_id, when)
        spec = site.pick_article(self.rng)
        if spec is None:
            return None
        site.remove_article(spec.id)
        return ChangeEvent(kind, spec.id, when)

    def _comment_target(self, when: datetime) -> int | None:
        """A recent post (share ``recent_comment_share``, uniform among them) or else any live post."""
        rng = self.rng
        if rng.random() < self.rates.recent_comment_share:
            low = bisect.bisect_left(self._young, (when - timedelta(days=self.rates.recent_days), -1))
            high = bisect.bisect_right(self._young, (when, 1 << 62))
            for _ in range(20):  # a deleted pick is drawn again
                if high <= low:
                    break
                post_id = self._young[rng.randrange(low, high)][1]
                if self.site.article(post_id) is not None:
                    return post_id
        for _ in range(20):
            spec = self.site.pick_article(rng)
            if spec is None:
                return None
            if spec.published <= when:
                return spec.id
        return None
