"""End to end: the limits of a run (``--max-articles``, ``--since``, Scrapy's ``CLOSESPIDER_*``) end it as
finished, exit 0, with the reason in ``crawl_runs``; a bad ``-s`` value stops before anything starts."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_itp6crawl

from itp6crawl import settings
from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.times import CST

N_ARTICLES = 60


def crawl(site: str, db: Path, *args: str):
    return run_itp6crawl("crawl", "--site", site, "--db", str(db), "--local", "--log-level", "WARNING", *args)


def runs(db: Path) -> list[dict]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM crawl_runs ORDER BY id")]


def articles(db: Path) -> dict[int, str | None]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT id, published_at FROM articles"))


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("CONCURRENT_REQUESTS=abc", "CONCURRENT_REQUESTS expects an integer"),
        ("DOWNLOAD_DELAY=fast", "DOWNLOAD_DELAY expects a number"),
        ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY expects a boolean"),
        ("ITEM_PIPELINES={oops", "ITEM_PIPELINES expects a JSON object"),
        ("CLOSESPIDER_ITEMCOUNT=1.5", "CLOSESPIDER_ITEMCOUNT expects an integer"),
        ("ITP6_SINCE=yesterday", "ITP6_SINCE expects a date"),
    ],
)
def test_a_bad_setting_value_is_one_line_and_exit_2_with_nothing_left_behind(tmp_path, override, expected):
    """Checked against the type of the setting's default before anything starts: no archive, no folder, no
    lock file, no traceback (the site is not even probed: nobody listens on port 9)."""
    db = tmp_path / "archive" / "itp6.db"
    result = crawl("http://127.0.0.1:9", db, "-s", override)
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr[-3000:]
    assert override.partition("=")[2] in lines[0]  # the value given is quoted back
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert files_under(tmp_path) == []


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=N_ARTICLES, seed=31)


def test_closespider_itemcount_stops_after_that_many_pages_as_a_finished_run(tmp_path, site):
    """CLOSESPIDER_ITEMCOUNT counts the article pages handled (stored, unchanged, not modified, gone or
    recorded as failures); pages already downloaded past the count are not stored (it archived 76 of 10)."""
    db = tmp_path / "itp6.db"
    with ReplicaServer(site) as server:
        result = crawl(server.base_url, db, "-s", "CLOSESPIDER_ITEMCOUNT=10")
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = runs(db)
    assert (run["finish_reason"], run["exit_status"]) == ("closespider_itemcount", 0)
    assert len(articles(db)) == run["articles_new"] == 10
    assert json.loads(run["stats"])["item_scraped_count"] == 10
    assert "run 1: closespider_itemcount (exit 0)" in result.stdout


def test_closespider_pagecount_and_timeout_end_the_run_as_finished(tmp_path, site):
    db = tmp_path / "itp6.db"
    with ReplicaServer(site, delay=0.2) as server:  # 0.2 s a page, one at a time: about 15 s for the whole site
        paged = crawl(server.base_url, db, "-s", "CLOSESPIDER_PAGECOUNT=8")
        timed = crawl(server.base_url, db, "-s", "CLOSESPIDER_TIMEOUT=1", "-s", "CONCURRENT_REQUESTS=1")
    assert paged.returncode == 0, paged.stderr[-3000:]
    assert timed.returncode == 0, timed.stderr[-3000:]
    first, second = runs(db)
    assert (first["finish_reason"], first["exit_status"]) == ("closespider_pagecount", 0)
    assert (second["finish_reason"], second["exit_status"]) == ("closespider_timeout", 0)
    assert len(articles(db)) < N_ARTICLES


def test_max_articles_counts_articles_new_or_changed_and_the_next_run_goes_on(tmp_path):
    """--max-articles N: the run ends, finished (exit 0, finish_reason 'max_articles'), once N articles are
    archived new or changed; never more. The next run continues where it stopped."""
    site = build_site(n_articles=N_ARTICLES, seed=31)  # edited below: not the module's
    db = tmp_path / "itp6.db"
    with ReplicaServer(site) as server:
        first = crawl(server.base_url, db, "--max-articles", "7")
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(articles(db)) == 7
        # The replica edits two archived posts: changed articles count too.
        for post_id in sorted(articles(db))[:2]:
            site.update_article(post_id)
        second = crawl(server.base_url, db, "--max-articles", "5")
        assert second.returncode == 0, second.stderr[-3000:]
        rest = crawl(server.base_url, db)
        assert rest.returncode == 0, rest.stderr[-3000:]
    one, two, three = runs(db)
    assert (one["finish_reason"], one["exit_status"], one["articles_new"]) == ("max_articles", 0, 7)
    assert (two["finish_reason"], two["exit_status"]) == ("max_articles", 0)
    assert two["articles_new"] + two["articles_changed"] == 5
    assert (three["finish_reason"], three["exit_status"]) == ("finished", 0)
    assert len(articles(db)) == N_ARTICLES


def test_since_never_stores_an_older_post_and_skips_old_sitemap_entries(tmp_path, site):
    gold = site.gold("http://placeholder")
    dates = sorted(str(g["published_at"]) for g in gold)
    since = dates[len(dates) // 2][:10]
    start = datetime.fromisoformat(since).replace(tzinfo=CST)
    newer = {g["id"] for g in gold if datetime.fromisoformat(str(g["published_at"])) >= start}
    db = tmp_path / "itp6.db"
    with ReplicaServer(site) as server:
        result = crawl(server.base_url, db, "--since", since)
        requested = {path for _, path, _ in server.request_log}
        stored = articles(db)
        rest = crawl(server.base_url, db)  # without --since: the older posts too, none left behind
    assert result.returncode == 0, result.stderr[-3000:]
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert len(articles(db)) == N_ARTICLES
    run, _ = runs(db)
    assert (run["finish_reason"], run["exit_status"]) == ("finished", 0)
    assert set(stored) == newer
    assert all(datetime.fromisoformat(published) >= start for published in stored.values())
    stats = json.loads(run["stats"])
    assert stats["itp6/skipped_since"] > 0
    # An old post whose sitemap lastmod is before the date is not even requested.
    old_in_sitemap = [
        spec.path
        for spec in site.articles
        if spec.listed and spec.in_sitemap and spec.sitemap_lastmod and spec.modified < start
    ]
    assert old_in_sitemap and not set(old_in_sitemap) & requested


def test_the_user_agent_names_the_projects_url(tmp_path, site):
    db = tmp_path / "itp6.db"
    agents: set[str] = set()
    with ReplicaServer(site) as server:
        respond = server.respond

        def recording(path: str, headers: dict[str, str]):
            agents.add(next((v for k, v in headers.items() if k.lower() == "user-agent"), ""))
            return respond(path, headers)

        server.respond = recording  # type: ignore[method-assign]
        result = crawl(server.base_url, db, "--max-articles", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert agents and all(settings.ITP6_PROJECT_URL in agent for agent in agents), agents
