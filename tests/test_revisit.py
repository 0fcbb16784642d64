"""The revisit policy: change rates from a post's history, due posts, the order and the budget."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from itp6crawl import revisit
from itp6crawl.revisit import DEFAULT_CLASS_RATES, Policy, PostHistory, Reason

NOW = datetime(2024, 6, 30, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def history(url: str, *, age: float, first: float, last: float, checks: int = 0, changes: int = 0) -> PostHistory:
    return PostHistory(f"https://www.itp6.com/{url}.html", ago(age), ago(first), ago(last), checks, changes)


def test_the_cho_garcia_molina_estimate_stays_finite_when_every_visit_found_a_change():
    assert revisit.cho_garcia_molina(0, 0, 10) is None
    never = revisit.cho_garcia_molina(10, 0, 10)
    always = revisit.cho_garcia_molina(10, 10, 10)
    assert never == pytest.approx(-math.log(10.5 / 10.5))  # 0: "no change seen" over ten daily visits
    assert always == pytest.approx(math.log(21))  # ln((n + 0.5) / 0.5): finite, about 3 a day
    half = revisit.cho_garcia_molina(10, 5, 10)
    assert never < half < always


def test_rates_are_learnt_per_age_class_from_the_archive_and_start_from_the_defaults():
    assert revisit.pooled_rates([], NOW) == DEFAULT_CLASS_RATES
    young_and_busy = [history(f"y{n}", age=5, first=5, last=0, checks=5, changes=5) for n in range(20)]
    old_and_quiet = [history(f"o{n}", age=900, first=300, last=0, checks=10, changes=0) for n in range(20)]
    pooled = revisit.pooled_rates(young_and_busy + old_and_quiet, NOW)
    assert pooled[0] > DEFAULT_CLASS_RATES[0]  # 100 changes over 100 post-days: about one a day
    assert pooled[3] < DEFAULT_CLASS_RATES[3]  # 6,000 post-days without a change
    assert pooled[1:3] == DEFAULT_CLASS_RATES[1:3]  # no evidence: the defaults


def test_a_post_with_history_leans_on_its_own_estimate_and_a_new_one_on_its_age():
    policy = Policy()
    pooled = DEFAULT_CLASS_RATES
    fresh = history("a", age=2, first=2, last=2)
    assert revisit.change_rate(fresh, NOW, pooled, policy) == DEFAULT_CLASS_RATES[0]
    quiet = history("b", age=2000, first=400, last=1, checks=40, changes=0)
    busy = history("c", age=2000, first=400, last=1, checks=40, changes=30)
    assert revisit.change_rate(quiet, NOW, pooled, policy) < DEFAULT_CLASS_RATES[3]
    assert revisit.change_rate(busy, NOW, pooled, policy) > 0.05


def test_due_by_expected_staleness_and_always_after_the_maximum_interval():
    policy = Policy(max_interval_days=30, revisit_at=0.1)
    young = history("young", age=3, first=3, last=3)  # 1/7 a day for 3 days: 35% stale
    quiet = history("quiet", age=3000, first=20, last=20)  # 1/1000 a day for 20 days: 2%
    forgotten = history("forgotten", age=3000, first=31, last=31)
    result = revisit.plan([young, quiet, forgotten], now=NOW, policy=policy)
    assert [(f.url.split("/")[-1], f.reason) for f in result.fetches] == [
        ("forgotten.html", Reason.MAX_INTERVAL),
        ("young.html", Reason.DUE),
    ]
    assert result.not_due == 1
    assert result.fetches[1].staleness == pytest.approx(1 - math.exp(-3 / 7))


def test_signalled_posts_come_first_and_the_budget_cuts_the_rest_which_stays_due():
    posts = [history(f"p{n}", age=3, first=3, last=3 - n * 0.1) for n in range(10)]
    signalled = {"https://www.itp6.com/new.html": Reason.NEW, posts[9].url: Reason.COMMENT}
    result = revisit.plan(posts, now=NOW, signalled=signalled, budget=4)
    assert [f.reason for f in result.fetches] == [Reason.NEW, Reason.COMMENT, Reason.DUE, Reason.DUE]
    assert result.fetches[2].url == posts[0].url  # the longest unchecked (most likely changed) first
    assert len(result.deferred) == 7  # 11 chosen, 4 fetched
    assert revisit.plan(posts, now=NOW, budget=0).fetches == []


def test_a_post_signalled_by_an_earlier_run_and_never_fetched_is_still_signalled():
    left_over = PostHistory("https://www.itp6.com/1.html", ago(900), ago(300), ago(2), 10, 0, signalled_at=ago(1))
    read_since = PostHistory("https://www.itp6.com/2.html", ago(900), ago(300), ago(0.5), 10, 0, signalled_at=ago(1))
    result = revisit.plan([left_over, read_since], now=NOW)
    assert [(f.url, f.reason) for f in result.fetches] == [(left_over.url, Reason.MODIFIED)]


def test_a_complete_modification_index_vouches_for_every_post_it_does_not_name():
    forgotten = history("forgotten", age=3000, first=40, last=40)
    young = history("young", age=3, first=3, last=3)
    assert len(revisit.plan([forgotten, young], now=NOW).fetches) == 2
    vouched = revisit.plan([forgotten, young], now=NOW, verified_through=NOW)
    assert vouched.fetches == [] and vouched.not_due == 2
    by_lastmod = revisit.plan([forgotten, young], now=NOW, verified=[young.url])
    assert [f.url for f in by_lastmod.fetches] == [forgotten.url]


def test_the_baselines_fetch_on_a_fixed_cycle_or_everything():
    posts = [history(f"p{n}", age=1000, first=100, last=n) for n in range(10)]
    fixed = revisit.plan(posts, now=NOW, policy=Policy(kind="fixed", fixed_days=7))
    assert sorted(f.url for f in fixed.fetches) == sorted(p.url for p in posts[7:])
    assert fixed.fetches[0].url == posts[9].url  # oldest first
    assert len(revisit.plan(posts, now=NOW, policy=Policy(kind="all")).fetches) == 10
    by_lastmod = revisit.plan(posts, now=NOW, policy=Policy(kind="all"), verified=[posts[0].url])
    assert len(by_lastmod.fetches) == 9 and by_lastmod.not_due == 1  # what crawls did before: lastmod, else all
    with pytest.raises(ValueError):
        Policy(kind="sometimes")


def test_a_post_any_signal_names_is_new_when_the_archive_does_not_know_it():
    known = {"a", "b", "c"}
    reasons = revisit.signalled_posts(known, listed=["a", "x"], modified=["b", "y"], commented=["b", "c"], linked=["z"])
    assert reasons == {"x": Reason.NEW, "y": Reason.NEW, "z": Reason.NEW, "b": Reason.MODIFIED, "c": Reason.COMMENT}
    assert list(reasons)[:3] == ["x", "y", "z"]


@pytest.mark.parametrize(
    ("budget", "delay", "requests"),
    [("450", 2.0, 450), ("15m", 2.0, 450), ("15m", 3.0, 300), ("1.5m", 2.0, 45), ("0", 2.0, None), (None, 2.0, None)],
)
def test_a_budget_is_requests_or_minutes_at_the_polite_delay(budget, delay, requests):
    assert revisit.budget_requests(budget, delay) == requests


@pytest.mark.parametrize("budget", ["-3", "soon", "15h", "m"])
def test_a_budget_that_means_nothing_is_refused(budget):
    with pytest.raises(ValueError):
        revisit.budget_requests(budget, 2.0)


def test_posts_near_the_maximum_interval_fill_only_the_budget_to_spare():
    """Posts first read on the same day would fall due together: read early while a run has room."""
    wave = [history(f"w{n}", age=3000, first=25 + n * 0.01, last=25 + n * 0.01) for n in range(10)]
    young = history("young", age=2, first=2, last=2)
    roomy = revisit.plan([young, *wave], now=NOW, budget=6)
    assert [f.reason for f in roomy.fetches] == [Reason.DUE] + [Reason.SWEEP] * 5
    assert roomy.fetches[1].url == wave[9].url  # the closest to the interval first
    assert roomy.deferred == [] and roomy.not_due == 5  # early reads are never owed
    assert [f.reason for f in revisit.plan([young, *wave], now=NOW).fetches] == [Reason.DUE]  # no budget: none early
    far = [history(f"f{n}", age=3000, first=10, last=10) for n in range(3)]
    assert revisit.plan(far, now=NOW, budget=100).fetches == []
