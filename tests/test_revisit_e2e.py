"""Scheduled crawls on WordPress's real terms, end to end against the replica on 127.0.0.1: no validators,
no sitemap lastmod, a view counter in every page; the change signals name what to fetch, a new comment on
an old post is archived the same day, the budget holds and what it could not reach is fetched next time."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import run_itp6crawl

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.replica.profiles import PROFILES
from itp6crawl.replica.site import Site

N_POSTS = 40


def crawl(site_url: str, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_itp6crawl("crawl", "--site", site_url, "--db", str(db), "--local", *extra)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def query(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def last_run(db: Path) -> dict:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return dict(connection.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone())
    finally:
        connection.close()


def article_requests(server: ReplicaServer, since: int = 0) -> list[tuple[str, int]]:
    return [(path, status) for _, path, status in server.request_log[since:] if path.endswith(".html")]


def next_day(site: Site) -> None:
    site.now += timedelta(days=1)


def changes_of_a_day(site: Site) -> dict[str, int]:
    """One simulated day: a new post, a comment on an old post, an edit of another old post, and views
    on every post (the counter alone is no change)."""
    next_day(site)
    old, edited = site.articles[3], site.articles[7]
    new = site.add_article(published=site.now - timedelta(hours=2))
    comment = site.add_comment(old.id, site.now - timedelta(hours=1))
    site.update_article(edited.id, title=edited.title + "（修订）", modified=site.now - timedelta(hours=3))
    for spec in site.articles:
        site.update_article(spec.id, views=spec.views + 7)
    return {"new": new.id, "commented": old.id, "comment": int(comment["comment_id"]), "edited": edited.id}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "archive" / "itp6.db"


@pytest.mark.parametrize("profile", ["wordpress", "wordpress-rest"])
def test_a_daily_run_fetches_exactly_what_the_signals_name_and_archives_a_new_comment(db, profile):
    site = build_site(N_POSTS, seed=21)
    with ReplicaServer(site, profile=profile) as server:
        ok(crawl(server.base_url, db))
        assert {name for (name,) in query(db, "SELECT name FROM crawl_marks")} <= {
            "modified",
            "comment",
            "feed_orderby",
        }
        day = changes_of_a_day(site)
        mark = len(server.request_log)
        ok(crawl(server.base_url, db))
        fetched = {path for path, _ in article_requests(server, mark)}
        paths = [path for _, path, _ in server.request_log[mark:]]
    # Only the three posts that changed: no lastmod and no validators, yet not every post again.
    assert fetched == {f"/{day[k]}.html" for k in ("new", "commented", "edited")}
    comments = {row[0] for row in query(db, f"SELECT comment_id FROM comments WHERE article_id = {day['commented']}")}
    assert day["comment"] in comments  # archived on an unchanged post, the same day
    versions = [row[0] for row in query(db, "SELECT article_id FROM article_versions")]
    assert versions == [day["edited"]]  # the edit made a version; views alone made none
    run = last_run(db)
    assert (run["articles_new"], run["articles_changed"], run["comments_added"]) == (1, 1, 1)
    stats = json.loads(run["stats"])
    assert stats["itp6/modification_index"] == ("rest" if profile == "wordpress-rest" else "feed")
    assert stats["itp6/planned/comment"] == 1 and stats["itp6/planned/new"] == 1
    assert not any(path.startswith("/category/") for path in paths)  # an index answered: no listings
    if profile == "wordpress-rest":
        assert run["requested"] <= 30 + 3
        assert any(path.startswith("/wp-json/wp/v2/posts") for path in paths)
        assert any(path.startswith("/wp-json/wp/v2/comments") for path in paths)


def test_the_budget_holds_and_what_it_could_not_reach_is_fetched_by_the_next_run(db):
    site = build_site(N_POSTS, seed=22)
    with ReplicaServer(site, profile="wordpress") as server:
        ok(crawl(server.base_url, db))
        next_day(site)
        edited = [spec.id for spec in site.articles[:6]]
        for number, post_id in enumerate(edited):
            site.update_article(post_id, revise=True, modified=site.now - timedelta(minutes=number))
        mark = len(server.request_log)
        ok(crawl(server.base_url, db, "--budget", "12"))
        first = len(server.request_log) - mark
        first_posts = {path for path, _ in article_requests(server, mark)}
        assert first <= 12 and 0 < len(first_posts) < len(edited)
        deferred = last_run(db)
        assert json.loads(deferred["stats"])["itp6/deferred"] == len(edited) - len(first_posts)
        mark = len(server.request_log)
        ok(crawl(server.base_url, db))  # nothing new on the site: the signals of the last run are still due
        second_posts = {path for path, _ in article_requests(server, mark)}
    assert first_posts | second_posts == {f"/{post_id}.html" for post_id in edited}
    assert not first_posts & second_posts
    assert len(query(db, "SELECT * FROM article_versions")) == len(edited)


def test_without_a_modification_index_the_listings_and_the_revisit_policy_take_over(db):
    strict = replace(PROFILES["wordpress"], name="wordpress-strict", feed_orderby=False)
    site = build_site(N_POSTS, seed=23)
    with ReplicaServer(site, profile=strict) as server:
        ok(crawl(server.base_url, db))
        day = changes_of_a_day(site)
        mark = len(server.request_log)
        ok(crawl(server.base_url, db))
        fetched = {path for path, _ in article_requests(server, mark)}
        paths = [path for _, path, _ in server.request_log[mark:]]
    stats = json.loads(last_run(db)["stats"])
    assert "itp6/modification_index" not in stats
    assert any(path.startswith("/category/") for path in paths)  # the listings find new posts
    assert {f"/{day['new']}.html", f"/{day['commented']}.html"} <= fetched  # feed and comments feed still work
    # The old post's edit is not signalled: it waits for the revisit policy (not due a day later).
    assert f"/{day['edited']}.html" not in fetched


def test_a_page_cache_answers_304_for_a_post_reread_unchanged(db):
    site = build_site(N_POSTS, seed=24)
    # Without a modification index to vouch for them, due posts are re-read: conditionally.
    cached = replace(PROFILES["cached"], name="cached-strict", feed_orderby=False)
    with ReplicaServer(site, profile=cached) as server:
        ok(crawl(server.base_url, db))
        next_day(site)
        commented = site.articles[5]
        site.add_comment(commented.id, site.now - timedelta(hours=1))
        for spec in site.articles:
            site.update_article(spec.id, views=spec.views + 3)  # the cached copy keeps its count
        mark = len(server.request_log)
        # A maximum interval of a second: every post is due again, and re-read conditionally.
        ok(crawl(server.base_url, db, "-s", "ITP6_MAX_INTERVAL_DAYS=0.00001"))
        statuses = dict(article_requests(server, mark))
    assert statuses.pop(f"/{commented.id}.html") == 200
    assert len(statuses) == N_POSTS - 1 and set(statuses.values()) == {304}
    assert last_run(db)["not_modified"] == N_POSTS - 1


def test_plan_shows_what_the_next_run_requests_and_why_without_fetching(db):
    site = build_site(N_POSTS, seed=25)
    with ReplicaServer(site, profile="wordpress") as server:
        ok(crawl(server.base_url, db))
        mark = len(server.request_log)
        result = run_itp6crawl("plan", "--db", str(db), "--json", "--max-interval", "1")
        assert len(server.request_log) == mark  # nothing fetched
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["posts archived"] == len(site.articles)
    assert summary["budget (requests)"] == 450
    assert summary["projected minutes at 2 s"] == pytest.approx(
        summary["projected requests (+ what the signals name)"] * 2 / 60, abs=0.05
    )
    table = run_itp6crawl("plan", "--db", str(db))
    assert table.returncode == 0 and "projected minutes" in table.stdout


def test_a_first_crawl_reads_the_whole_site_whatever_the_budget(db):
    site = build_site(N_POSTS, seed=26)
    with ReplicaServer(site, profile="wordpress") as server:
        ok(crawl(server.base_url, db, "--budget", "5"))
    assert len(query(db, "SELECT id FROM articles")) == N_POSTS  # posts outside the sitemaps too
