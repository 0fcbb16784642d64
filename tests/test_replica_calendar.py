"""The replica's simulated calendar (issue [10]): seeded changes at the live site's rates, and fingerprints."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from itp6crawl.replica import Site, build_site
from itp6crawl.replica.calendar import ChangeEvent, ChangeRates, SimulatedCalendar, poisson
from itp6crawl.replica.site import DEFAULT_NOW

LIVE_POSTS = 18_700
BASE = "http://127.0.0.1:8765"


def summary(events: list[ChangeEvent]) -> list[tuple[str, int, str, int | None]]:
    return [(e.kind, e.post_id, e.at.isoformat(), e.comment_id) for e in events]


@pytest.fixture(scope="module")
def sixty_days() -> tuple[Site, SimulatedCalendar, dict[int, object]]:
    """A live-sized site after 60 simulated days, with the publication time of every post ever seen."""
    site = build_site(n_articles=LIVE_POSTS, seed=11)
    calendar = SimulatedCalendar(site, seed=5)
    published = {a.id: a.published for a in site.articles}
    took = []
    for _ in range(60):
        start = time.perf_counter()
        calendar.advance(1)
        took.append(time.perf_counter() - start)
    published.update((e.post_id, e.at) for e in calendar.events if e.kind == "new_post")
    print(f"advance(1) at {LIVE_POSTS} posts: mean {sum(took) / 60 * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")
    return site, calendar, published


def test_same_seed_same_events() -> None:
    runs = []
    for _ in range(2):
        site = build_site(n_articles=200, seed=3)
        calendar = SimulatedCalendar(site, ChangeRates().scaled(4), seed=9)
        calendar.advance(3)
        calendar.advance(0.5)
        runs.append((summary(calendar.events), [(a.id, site.fingerprint(a.id)) for a in site.articles]))
    assert runs[0] == runs[1] and runs[0][0]
    other = SimulatedCalendar(build_site(n_articles=200, seed=3), ChangeRates().scaled(4), seed=10)
    other.advance(3.5)
    assert summary(other.events) != runs[0][0]


def test_advance_moves_the_clock_and_keeps_time_order() -> None:
    site = build_site(n_articles=120, seed=2)
    calendar = SimulatedCalendar(site, ChangeRates().scaled(3), seed=1)
    start = site.now
    events = calendar.advance(2.5)
    assert site.now == start + timedelta(days=2.5)
    assert events and calendar.events == events
    times = [e.at for e in events]
    assert times == sorted(times) and start <= times[0] and times[-1] <= site.now
    more = calendar.advance(1)
    assert calendar.events == events + more


def test_events_change_the_site() -> None:
    site = build_site(n_articles=300, seed=6)
    before = {a.id: (a.modified, a.revision, a.n_comments) for a in site.articles}
    calendar = SimulatedCalendar(site, ChangeRates().doubled().scaled(3), seed=2)
    events = calendar.advance(10)
    kinds = Counter(e.kind for e in events)
    assert kinds["new_post"] and kinds["comment"] and kinds["edit"]
    for event in events:
        spec = site.article(event.post_id)
        if event.kind == "delete":
            assert spec is None and site.render(f"/{event.post_id}.html", BASE)[0] == 404
            assert site.fingerprint(event.post_id) is None
            continue
        if spec is None:
            continue  # deleted later
        if event.kind == "new_post":
            assert event.post_id not in before and spec.published == event.at and spec.listed and spec.in_sitemap
            sitemap = site.render("/wp-sitemap-posts-post-1.xml", BASE)[2].decode()
            assert f"{BASE}/{spec.id}.html" in sitemap and spec.categories
        elif event.kind == "edit":
            assert spec.revision > before.get(spec.id, (None, 0))[1] and spec.modified >= event.at  # type: ignore[operator]
        else:
            assert event.comment_id in {c["comment_id"] for c in site.comments(spec)}
    edited = next(e for e in events if e.kind == "edit" and site.article(e.post_id))
    page = site.render(f"/{edited.post_id}.html", BASE)[2].decode()
    assert "【更新】" in page
    comment_ids = [e.comment_id for e in events if e.kind == "comment"]
    assert comment_ids == sorted(comment_ids) and len(set(comment_ids)) == len(comment_ids)


def test_live_rates_over_sixty_days(sixty_days: tuple[Site, SimulatedCalendar, dict[int, object]]) -> None:
    site, calendar, published = sixty_days
    kinds = Counter(e.kind for e in calendar.events)
    print(dict(kinds))
    assert 240 <= kinds["new_post"] <= 360
    assert 1650 <= kinds["comment"] <= 1950
    assert 75 <= kinds["delete"] <= 150  # 0.0001 x 18,700 x 60 = 112
    # edits: later posts 0.0002 x 18,700 x 60 = 224, plus about a quarter of the 300 new posts
    assert 200 <= kinds["edit"] <= 400
    comments = [e for e in calendar.events if e.kind == "comment"]
    recent = sum(e.at - published[e.post_id] < timedelta(days=30) for e in comments)  # type: ignore[operator]
    assert 0.54 <= recent / len(comments) <= 0.68
    assert site.now == DEFAULT_NOW + timedelta(days=60)


def test_new_posts_are_edited_mostly_in_their_first_weeks() -> None:
    site = build_site(n_articles=50, seed=8)
    rates = ChangeRates(new_posts_per_day=40, comments_per_day=0, edit_later_per_day=0, delete_per_day=0)
    calendar = SimulatedCalendar(site, rates, seed=3)
    calendar.advance(40)
    born = {e.post_id: e.at for e in calendar.events if e.kind == "new_post"}
    edits = [e for e in calendar.events if e.kind == "edit" and e.post_id in born]
    first_week = {e.post_id for e in edits if e.at - born[e.post_id] < timedelta(days=7)}
    # posts born in the first 30 days have had their whole first week: about 20% of them are edited in it
    eligible = [p for p, t in born.items() if t < DEFAULT_NOW + timedelta(days=30)]
    share = len(first_week & set(eligible)) / len(eligible)
    assert 0.15 <= share <= 0.25
    assert all(e.at - born[e.post_id] < timedelta(days=29) for e in edits)  # no later edits at rate 0


def test_rates_scaled_and_doubled() -> None:
    rates = ChangeRates()
    assert rates.scaled(2).new_posts_per_day == 10 and rates.scaled(2).comments_per_day == 60
    assert rates.scaled(2).edit_first_week == rates.edit_first_week
    doubled = rates.doubled()
    assert (doubled.new_posts_per_day, doubled.comments_per_day) == (10, 60)
    assert (doubled.edit_first_week, doubled.edit_weeks_2_to_4) == (0.4, 0.1)
    assert (doubled.edit_later_per_day, doubled.delete_per_day) == (0.0004, 0.0002)
    assert doubled.recent_comment_share == rates.recent_comment_share
    assert abs(1 - (1 - rates.daily_edit_probability(0)) ** 7 - 0.2) < 1e-9
    assert abs(1 - (1 - rates.daily_edit_probability(10)) ** 21 - 0.05) < 1e-9
    assert rates.daily_edit_probability(100) == 0.0002


def test_poisson_mean() -> None:
    import random

    rng = random.Random(1)
    for mean in (0.5, 30.0, 140.0):
        draws = [poisson(rng, mean) for _ in range(3000)]
        assert abs(sum(draws) / len(draws) - mean) < 0.05 * mean + 0.05


def test_fingerprint_follows_content_and_comments_not_views() -> None:
    site = build_site(n_articles=30, seed=1)
    spec = site.articles[5]
    first = site.fingerprint(spec.id)
    assert first is not None
    site.count_view(spec.id)
    site.update_article(spec.id, views=spec.views + 500, likes=spec.likes + 3)
    assert site.fingerprint(spec.id) == first
    site.add_comment(spec.id)
    after_comment = site.fingerprint(spec.id)
    assert after_comment != first
    site.update_article(spec.id, modified=site.now)
    after_edit = site.fingerprint(spec.id)
    assert after_edit not in (first, after_comment)
    site.update_article(spec.id, tags=["新标签"], modified=spec.modified)  # same modified time, new tags
    assert site.fingerprint(spec.id) != after_edit
    site.remove_article(spec.id)
    assert site.fingerprint(spec.id) is None
