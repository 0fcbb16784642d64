"""Crawl state: what the revisit policy learns of each post, the signals left for the next run, the marks."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlite_utils

from itp6crawl.revisit import PostHistory
from itp6crawl.store import Archive, Segments
from itp6crawl.store.schema import migrations
from itp6crawl.text import default_segmenter
from itp6crawl.times import CST

AT = datetime(2024, 6, 5, 12, 0, tzinfo=CST)


@pytest.fixture
def archive(tmp_path):
    with Archive.open(tmp_path / "itp6.db") as archive:
        yield archive


def save(archive, article_factory, fetch_time, post_id: int) -> str:
    article = article_factory(post_id)
    seg = default_segmenter()
    segments = Segments(seg.index_text(article.title), seg.index_text(article.body_text), "")
    archive.articles.save(article, segments, fetch_time)
    return article.url


def test_a_first_fetch_starts_the_history_and_only_compared_re_reads_count(archive, article_factory, fetch_time):
    url = save(archive, article_factory, fetch_time, 101)
    archive.state.record(url, status=200, fetched_at="2024-06-01T10:00:00+08:00")
    archive.state.observe(url, compared=False, changed=False)  # the first fetch: nothing to compare with
    archive.state.record(url, status=200, fetched_at="2024-06-03T10:00:00+08:00")
    archive.state.observe(url, compared=True, changed=True)
    archive.state.record(url, status=200, fetched_at="2024-06-04T10:00:00+08:00")
    archive.state.observe(url, compared=False, changed=True)  # a signalled fetch: not a fair sample
    archive.state.record(url, observed=True, status=304, fetched_at="2024-06-05T10:00:00+08:00")  # 304
    state = archive.state.get(url)
    assert (state.first_fetched_at, state.checks, state.changes) == ("2024-06-01T10:00:00+08:00", 2, 1)
    (history,) = archive.state.histories()
    assert history.url == url and history.checks == 2 and history.changes == 1
    assert history.first_fetched_at == datetime(2024, 6, 1, 10, tzinfo=CST)
    assert history.fetched_at == datetime(2024, 6, 5, 10, tzinfo=CST)


def test_a_signal_is_remembered_until_a_fetch_reads_it(archive, article_factory, fetch_time):
    first, second = (save(archive, article_factory, fetch_time, n) for n in (101, 102))
    for url in (first, second):
        archive.state.record(url, status=200, fetched_at="2024-06-01T10:00:00+08:00")
    archive.state.signal({first: "comment", "https://www.itp6.com/999.html": "new"}, AT)  # 999: not archived
    by_url = {h.url: h for h in archive.state.histories()}
    assert (by_url[first].signalled_at, by_url[first].signal) == (AT, "comment")
    assert by_url[second].signalled_at is None and archive.state.get("https://www.itp6.com/999.html") is None
    archive.state.observe(first, compared=False, changed=True)
    assert archive.state.get(first).signalled_at is None


def test_histories_are_of_live_posts_only(archive, article_factory, fetch_time):
    live, _ = (save(archive, article_factory, fetch_time, n) for n in (101, 102))
    archive.articles.mark_gone(102, fetch_time)
    assert [h.url for h in archive.state.histories()] == [live]
    assert isinstance(archive.state.histories()[0], PostHistory)


def test_marks_are_set_and_read_back_and_default_to_what_the_archive_holds(archive, article_factory, fetch_time):
    assert archive.state.mark("modified") is None and archive.state.newest_comment_id() is None
    save(archive, article_factory, fetch_time, 101)
    assert archive.state.newest_modified() is not None
    archive.state.set_marks({"modified": "2024-06-05T04:00:00+00:00", "comment": "812", "feed_orderby": None}, AT)
    assert archive.state.mark("modified") == "2024-06-05T04:00:00+00:00" and archive.state.mark("comment") == "812"
    assert archive.state.mark("feed_orderby") is None  # None: not written
    archive.state.set_marks({"comment": "901"}, AT)
    assert archive.state.mark("comment") == "901"


def test_migration_0009_starts_every_history_from_its_last_fetch(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="0009_revisit_history")
    db["crawl_state"].insert(
        {"url": "https://www.itp6.com/1.html", "status": 200, "fetched_at": "2024-06-01T10:00:00+08:00"}
    )
    db["crawl_runs"].insert({"id": 1, "site": "x"}) if "comments_added" not in db["crawl_runs"].columns_dict else None
    migrations.apply(db)
    row = db["crawl_state"].get("https://www.itp6.com/1.html")
    assert (row["first_fetched_at"], row["checks"], row["changes"], row["signalled_at"]) == (
        "2024-06-01T10:00:00+08:00",
        0,
        0,
        None,
    )
    assert "crawl_marks" in db.table_names() and "comments_added" in db["crawl_runs"].columns_dict
