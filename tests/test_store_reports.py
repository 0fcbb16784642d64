"""Read-only reports (``itp6crawl runs`` and ``stats``): what the archive holds, and its last runs."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from itp6crawl.store import Archive
from itp6crawl.store.reports import RUN_COLUMNS, archive_stats, recent_runs, table_counts
from itp6crawl.text import segment_article

SITE = "https://www.itp6.com"


@pytest.fixture
def reported_archive(tmp_path, article_factory, fetch_time):
    """Four articles (one gone, one undated), two finished runs, three failures of two kinds."""
    db = tmp_path / "itp6.db"
    with Archive.open(db) as archive:
        for post_id, categories, published in (
            (101, ["治疗过程分享", "病友故事"], "2024-06-02T23:10:00+08:00"),
            (102, ["治疗过程分享"], "2024-05-30T10:00:00+08:00"),
            (103, ["指南解读"], "2024-05-01T10:00:00+08:00"),
            (104, ["指南解读"], None),
        ):
            article = article_factory(post_id, categories=categories, published_at=published)
            archive.articles.save(article, segment_article(article), fetch_time)
        archive.articles.mark_gone(103, fetch_time)
        first = archive.runs.begin(SITE, fetch_time)
        archive.runs.finish(first, fetch_time, reason="finished", exit_status=0, counts={"articles_new": 4}, stats={})
        later = fetch_time + timedelta(days=1)
        second = archive.runs.begin(SITE, later)
        for path, reason, status in (
            ("/201.html", "HTTP 503", 503),
            ("/202.html", "extraction failed: not an article page: the home page", 200),
            ("/203.html", "extraction failed: not an HTML page: binary data", 200),
        ):
            archive.runs.record_failure(second, f"{SITE}{path}", reason, later, status)
        archive.runs.finish(second, later, reason="finished", exit_status=0, counts={"failed": 3}, stats={})
    return db


def test_archive_stats_counts_articles_by_status_category_and_month_and_failures_by_kind(reported_archive):
    stats = archive_stats(reported_archive)
    with sqlite3.connect(reported_archive) as connection:
        links = connection.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    assert stats["totals"] == {
        "articles": 4,
        "article_versions": 0,
        "links": links,
        "comments": 4,
        "crawl_runs": 2,
        "failures": 3,
    }
    assert links > 0 and table_counts(reported_archive) == stats["totals"]
    assert list(stats["articles_by_status"].items()) == [("gone", 1), ("live", 3)]
    assert stats["articles_by_category"] == [  # live only; most articles first, then by name
        {"category": "治疗过程分享", "articles": 2},
        {"category": "指南解读", "articles": 1},
        {"category": "病友故事", "articles": 1},
    ]
    assert stats["articles_by_month"] == [  # live and dated only, newest first
        {"month": "2024-06", "articles": 1},
        {"month": "2024-05", "articles": 1},
    ]
    assert stats["failures_by_reason"] == [  # grouped by the words before the first colon
        {"reason": "extraction failed", "failures": 2},
        {"reason": "HTTP 503", "failures": 1},
    ]
    latest = stats["latest_run"]
    assert tuple(latest) == RUN_COLUMNS
    assert (latest["id"], latest["finish_reason"], latest["exit_status"], latest["failed"]) == (2, "finished", 0, 3)


def test_archive_stats_of_an_empty_archive(tmp_path):
    db = tmp_path / "itp6.db"
    Archive.open(db).close()
    stats = archive_stats(db)
    assert set(stats["totals"].values()) == {0} and stats["latest_run"] is None
    assert stats["articles_by_status"] == {} and stats["articles_by_category"] == stats["failures_by_reason"] == []


def test_recent_runs_are_newest_first_up_to_the_limit(reported_archive):
    runs = recent_runs(reported_archive)
    assert [run["id"] for run in runs] == [2, 1] and all(tuple(run) == RUN_COLUMNS for run in runs)
    assert [run["id"] for run in recent_runs(reported_archive, limit=1)] == [2]
    assert runs[1]["articles_new"] == 4 and runs[1]["error"] is None


def test_recent_runs_of_an_old_archive_show_the_columns_it_has(tmp_path):
    """Archives of 0.1.0 had fewer run columns: the report shows those, in the usual order."""
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, error TEXT, started_at TEXT)")
        connection.execute("INSERT INTO crawl_runs VALUES (1, NULL, '2024-01-01T00:00:00+08:00')")
    connection.close()
    assert recent_runs(db) == [{"id": 1, "started_at": "2024-01-01T00:00:00+08:00", "error": None}]
    assert list(recent_runs(db)[0]) == ["id", "started_at", "error"]


def test_recent_runs_are_the_last_ten_newest_first_unless_asked_for_more(tmp_path, fetch_time):
    db = tmp_path / "itp6.db"
    with Archive.open(db) as archive:
        for day in range(12):
            run = archive.runs.begin(SITE, fetch_time + timedelta(days=day))
            archive.runs.finish(run, fetch_time, reason="finished", exit_status=0, counts={}, stats={})
    assert [run["id"] for run in recent_runs(db)] == list(range(12, 2, -1))
    assert len(recent_runs(db, 12)) == 12 and archive_stats(db)["latest_run"]["id"] == 12


def test_a_run_is_incremental_unless_begun_full_and_its_stats_are_readable_json(tmp_path, fetch_time):
    db = tmp_path / "itp6.db"
    with Archive.open(db) as archive:
        incremental = archive.runs.begin(SITE, fetch_time)
        row = archive.runs.finish(
            incremental, fetch_time, reason="finished", exit_status=0, counts={}, stats={"itp6/原因": "页面"}
        )
        full = archive.runs.begin(SITE, fetch_time, full=True)
        fulls = dict(archive.db.execute("SELECT id, full FROM crawl_runs").fetchall())
    assert fulls == {incremental: 0, full: 1}
    assert row["stats"] == '{"itp6/原因": "页面"}'  # as text, not \u escapes
