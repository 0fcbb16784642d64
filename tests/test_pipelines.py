from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import timedelta

import pytest
import sqlite_utils
from conftest import project_crawler

from itp6crawl.items import PageItem
from itp6crawl.pipelines import ExtractPipeline, StorePipeline
from itp6crawl.replica import DEFAULT_NOW, build_site, rename_theme_classes
from itp6crawl.session import CrawlSession
from itp6crawl.spiders.itp6 import Itp6Spider

BASE = "https://www.itp6.com"


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=6, seed=2)


@pytest.fixture
def crawler(tmp_path):
    # Each article commits as it is stored, since these tests read the archive after each one; the
    # batched commits of a crawl (ITP6_COMMIT_SECONDS) have tests of their own below.
    crawler = project_crawler(Itp6Spider, {"ITP6_DB": str(tmp_path / "a.db"), "ITP6_COMMIT_SECONDS": 0})
    crawler.spider = Itp6Spider.from_crawler(crawler, site=BASE)
    crawler.stats.open_spider()
    return crawler


def page(site, spec, body: bytes | None = None) -> PageItem:
    return PageItem(
        url=spec.url(BASE),
        request_url=spec.url(BASE),
        status=200,
        fetched_at=DEFAULT_NOW,
        body=body if body is not None else site.render(spec.path, BASE)[2],
        charset="UTF-8",
    )


def extract(crawler, item: PageItem) -> PageItem:
    """The extract pipeline (extraction and segmentation), as a crawl runs it (awaited)."""
    return asyncio.run(ExtractPipeline.from_crawler(crawler).process_item(item))


def test_extract_then_segment(site, crawler):
    spec = site.articles[0]
    item = extract(crawler, page(site, spec))
    assert item.article is not None and item.article.id == spec.id and item.failure is None
    assert item.segments is not None and item.segments.title_seg and item.segments.body_seg
    assert crawler.stats.get_value("itp6/extractor/theme") == 1


def test_fallback_is_counted_and_warned(site, crawler, caplog):
    spec = site.articles[1]
    html = rename_theme_classes(site.render(spec.path, BASE)[2].decode()).encode()
    with caplog.at_level(logging.WARNING, logger="itp6crawl.ingest"):
        item = extract(crawler, page(site, spec, html))
    assert item.article is not None and item.article.extractor == "fallback"
    assert crawler.stats.get_value("itp6/extractor/fallback") == 1
    assert "Theme rules did not match" in caplog.text


def test_extraction_failure_flows_to_the_store_as_a_failure(site, crawler):
    item = extract(crawler, page(site, site.articles[2], b""))
    assert item.article is None and item.failure == "extraction failed: empty document"
    assert item.segments is None


def archived(crawler, site, spec, **changes) -> PageItem:
    item = page(site, spec)
    for name, value in changes.items():
        setattr(item, name, value)
    return extract(crawler, item)


@pytest.fixture
def store(crawler):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    yield store
    session = CrawlSession.of(crawler)
    if session.archive is not None:
        session.spider_closed(crawler.spider, "finished")


def test_store_records_articles_failures_and_the_run(site, crawler, store, tmp_path):
    store.process_item(archived(crawler, site, site.articles[3]))
    bad = PageItem(
        url=f"{BASE}/1.html", request_url=f"{BASE}/1.html", status=500, fetched_at=DEFAULT_NOW, failure="HTTP 500"
    )
    store.process_item(bad)
    crawler.stats.set_value("response_received_count", 2)
    CrawlSession.of(crawler).spider_closed(crawler.spider, "finished")
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert db.table("articles").count == 1
    (failure,) = db.table("failures").rows
    assert (failure["url"], failure["status"], failure["reason"]) == (f"{BASE}/1.html", 500, "HTTP 500")
    (run,) = db.table("crawl_runs").rows
    assert (run["finish_reason"], run["exit_status"], run["articles_new"], run["failed"]) == ("finished", 0, 1, 1)


def test_the_store_hands_each_page_to_the_ingest_core_and_counts_its_outcome(site, crawler, store):
    """The rules themselves are tested without a crawler (test_ingest.py); here, that the pipeline applies
    them to what the crawl fetched and counts each outcome in the crawl's stats."""
    spec = site.articles[0]
    replica = "http://127.0.0.1:8123"
    served = page(site, spec, site.render(spec.path, replica)[2])
    served.url = served.request_url = spec.url(replica)
    later = DEFAULT_NOW + timedelta(days=1)
    pages = [
        extract(crawler, served),  # new, from another server
        archived(crawler, site, spec, fetched_at=later),  # unchanged
        PageItem(url=spec.url(BASE), request_url=spec.url(BASE), status=304, fetched_at=later),
        PageItem(url=spec.url(BASE), request_url=spec.url(BASE), status=404, fetched_at=later),  # gone
        PageItem(url=spec.url(BASE), request_url=spec.url(BASE), status=404, fetched_at=later),  # still gone
        PageItem(url=f"{BASE}/99999.html", request_url=f"{BASE}/99999.html", status=404, fetched_at=later),
    ]
    for item in pages:
        store.process_item(item)
    keys = ("new", "unchanged", "not_modified", "gone")
    counted = {key: crawler.stats.get_value(f"itp6/articles_{key}") for key in keys}
    assert counted == dict.fromkeys(keys, 1) and crawler.stats.get_value("itp6/failures") == 1
    assert [item.outcome for item in pages] == ["new", "unchanged", "not_modified", "gone", "still_gone", "failed"]
    archive = CrawlSession.of(crawler).archive
    assert archive.articles.get(spec.id)["url"] == f"{BASE}/{spec.id}.html"
    assert [row["url"] for row in archive.db.table("failures").rows] == [f"{BASE}/99999.html"]


def test_a_write_error_stops_the_crawl_instead_of_losing_records(site, crawler, store, monkeypatch):
    session = CrawlSession.of(crawler)

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(session.archive.articles, "save", disk_full)
    store.process_item(archived(crawler, site, site.articles[0]))
    assert session.error is not None and "disk is full" in session.error
    session.spider_closed(crawler.spider, "finished")
    assert session.result["finish_reason"] == "failed" and session.result["exit_status"] == 1


def test_a_full_disk_at_the_end_frees_the_reserved_space_to_record_the_run(site, crawler, store, monkeypatch, tmp_path):
    """The run's last row is written even when the disk is full: the space reserved at the start is freed."""
    session = CrawlSession.of(crawler)
    store.process_item(archived(crawler, site, site.articles[3]))
    reserve = tmp_path / "a.db.reserve"
    assert reserve.stat().st_size > 0
    finish, attempts = session.archive.runs.finish, []

    def full_while_reserved(*args, **kwargs):
        attempts.append(reserve.exists())
        if reserve.exists():
            raise sqlite3.OperationalError("database or disk is full")
        return finish(*args, **kwargs)

    monkeypatch.setattr(session.archive.runs, "finish", full_while_reserved)
    crawler.stats.set_value("response_received_count", 1)
    session.spider_closed(crawler.spider, "finished")
    assert attempts == [True, False]
    (run,) = sqlite_utils.Database(tmp_path / "a.db").table("crawl_runs").rows
    assert run["finish_reason"] == "finished" and not reserve.exists()


def test_an_article_is_parsed_with_the_charset_its_header_declares(crawler):
    """A Big5 page that declares its charset only in the header (Big5 bytes also decode as GB18030)."""
    text = "免疫性血小板減少症患者服用艾曲泊帕，血小板升到五十。"
    body = f"<html><body><h1>治療記錄</h1><p>{text}</p></body></html>".encode("big5")
    item = PageItem(url=f"{BASE}/16001.html", request_url=f"{BASE}/16001.html", status=200, fetched_at=DEFAULT_NOW)
    item.body, item.charset = body, "Big5"
    assert text in extract(crawler, item).article.body_text


def test_extraction_and_segmentation_in_a_worker_process_match_the_crawls_own(site, crawler):
    from itp6crawl.workers import WorkerPool

    spec = site.articles[4]
    here = extract(crawler, page(site, spec))
    pool = WorkerPool(1)
    try:
        there = asyncio.run(ExtractPipeline(crawler.stats, workers=pool).process_item(page(site, spec)))
    finally:
        pool.close()
    assert there.article == here.article and there.segments == here.segments and there.failure is None


def test_a_crash_in_extraction_is_a_failure_of_that_page_only(site, crawler, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("itp6crawl.pipelines.read_page", broken)
    with caplog.at_level(logging.ERROR, logger="itp6crawl.ingest"):
        item = extract(crawler, page(site, site.articles[0]))
    assert item.article is None and item.failure == "extraction crashed: RuntimeError: boom"
    assert "Extraction crashed on" in caplog.text and "boom" in caplog.text


@pytest.mark.parametrize(("value", "workers"), [(None, 0), (0, 0), ("2", 2), ("auto", None)])
def test_the_number_of_worker_processes_comes_from_the_settings(value, workers):
    from itp6crawl.crawl import crawl_settings
    from itp6crawl.settings import LOCAL_REPLICA_SETTINGS
    from itp6crawl.workers import auto_workers, worker_count

    settings = crawl_settings("a.db", overrides={} if value is None else {"ITP6_WORKERS": value})  # None: the default
    assert worker_count(settings.get("ITP6_WORKERS")) == (auto_workers() if workers is None else workers)
    with pytest.raises(ValueError, match="ITP6_WORKERS must be a number of processes or 'auto', got 'many'"):
        worker_count(crawl_settings("a.db", overrides={"ITP6_WORKERS": "many"}).get("ITP6_WORKERS"))
    assert LOCAL_REPLICA_SETTINGS["ITP6_WORKERS"] == "auto"  # the replica is crawled as fast as it is processed


def _visible(path) -> set[int]:
    """The article ids another connection sees (what a search during the crawl sees)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM articles")}


def test_articles_stored_close_together_share_one_commit_and_each_stays_whole(site, crawler, tmp_path):
    store = StorePipeline(CrawlSession.of(crawler), crawler.stats, crawler, commit_seconds=3600)
    store.open_spider()
    try:
        first, second, third = site.articles[0], site.articles[1], site.articles[2]
        store.process_item(archived(crawler, site, first))
        store.process_item(archived(crawler, site, second))
        assert _visible(tmp_path / "a.db") == set()  # one batch, not committed yet
        # A refused article inside the batch costs nothing to the others (its own savepoint).
        broken = archived(crawler, site, third)
        broken.article.url = first.url(BASE)  # a URL another post already has: the store refuses it
        store.process_item(broken)
        assert broken.failure and broken.failure.startswith("store refused")
        store._commit_when_idle()  # what the timer does when no item comes to commit the batch
        assert _visible(tmp_path / "a.db") == {first.id, second.id}
        store.process_item(archived(crawler, site, third))
        store.close_spider()  # the last batch is committed when the crawl ends
        assert _visible(tmp_path / "a.db") == {first.id, second.id, third.id}
    finally:
        CrawlSession.of(crawler).spider_closed(crawler.spider, "finished")


def test_a_batch_is_committed_once_it_is_older_than_commit_seconds(site, crawler, tmp_path):
    store = StorePipeline(CrawlSession.of(crawler), crawler.stats, crawler, commit_seconds=0.2)
    store.open_spider()
    try:
        store.process_item(archived(crawler, site, site.articles[0]))
        assert _visible(tmp_path / "a.db") == set()
        time.sleep(0.25)
        store.process_item(archived(crawler, site, site.articles[1]))  # the batch is due: this item commits it
        assert _visible(tmp_path / "a.db") == {site.articles[0].id, site.articles[1].id}
    finally:
        CrawlSession.of(crawler).spider_closed(crawler.spider, "finished")


def test_crawls_batch_their_commits_by_default():
    from itp6crawl import settings

    assert 0 < settings.ITP6_COMMIT_SECONDS <= 1  # readers see an article within a second of its storing


class _CommitLostToAnIOError:
    """The archive's connection, but its COMMIT fails as SQLite's does on an I/O error or a full disk
    (SQLITE_IOERR, SQLITE_FULL): the transaction is rolled back and the error raised."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __getattr__(self, name: str):
        return getattr(self._connection, name)

    def commit(self) -> None:
        self._connection.rollback()
        raise sqlite3.OperationalError("disk I/O error")


def _run_and_rows(path) -> tuple[dict, int, int]:
    db = sqlite_utils.Database(path)
    (run,) = db.table("crawl_runs").rows
    return run, db.table("articles").count, db.table("failures").count


def test_a_batch_lost_to_a_write_error_at_its_commit_is_not_counted(site, crawler, tmp_path):
    """Run counts are what was committed: the articles and failure rows of a batch that a write error
    rolled back are in neither the archive nor the run row (it printed 62 new with 33 stored)."""
    session = CrawlSession.of(crawler)
    store = StorePipeline(session, crawler.stats, crawler, commit_seconds=3600)
    store.open_spider()
    store.process_item(archived(crawler, site, site.articles[0]))
    store.process_item(
        PageItem(
            url=f"{BASE}/1.html", request_url=f"{BASE}/1.html", status=500, fetched_at=DEFAULT_NOW, failure="HTTP 500"
        )
    )
    store.process_item(archived(crawler, site, site.articles[1]))
    connection = session.archive.db.conn
    session.archive.db.conn = _CommitLostToAnIOError(connection)
    try:
        store._commit_when_idle()  # the timer commits the batch; the disk fails
    finally:
        session.archive.db.conn = connection
    assert session.error is not None and "disk I/O error" in session.error
    store.process_item(archived(crawler, site, site.articles[2]))  # the crawl is stopping: not stored
    store.close_spider()
    crawler.stats.set_value("response_received_count", 4)
    session.spider_closed(crawler.spider, "failed")
    run, articles, failures = _run_and_rows(tmp_path / "a.db")
    assert (run["finish_reason"], run["exit_status"]) == ("failed", 1)
    assert (run["articles_new"], run["failed"]) == (articles, failures) == (0, 0)


def test_a_write_error_inside_a_batch_rolls_the_batch_back_and_keeps_the_committed_ones_counted(
    site, crawler, tmp_path, monkeypatch
):
    """SQLite's advice after a full disk or an I/O error is an explicit ROLLBACK: the open batch is dropped
    (its pages are fetched again next run, as after a kill), the batches committed before stay counted."""
    session = CrawlSession.of(crawler)
    store = StorePipeline(session, crawler.stats, crawler, commit_seconds=3600)
    store.open_spider()
    first, second, third, fourth = site.articles[:4]
    store.process_item(archived(crawler, site, first))
    store.process_item(archived(crawler, site, second))
    store._commit_when_idle()
    store.process_item(archived(crawler, site, third))
    save = session.archive.articles.save

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(session.archive.articles, "save", disk_full)
    store.process_item(archived(crawler, site, fourth))
    monkeypatch.setattr(session.archive.articles, "save", save)
    assert _visible(tmp_path / "a.db") == {first.id, second.id}
    store.close_spider()
    crawler.stats.set_value("response_received_count", 4)
    session.spider_closed(crawler.spider, "failed")
    run, articles, _ = _run_and_rows(tmp_path / "a.db")
    assert run["articles_new"] == articles == 2 and run["finish_reason"] == "failed"
