"""Scheduled crawls end to end, against the replica on 127.0.0.1: what a re-run fetches and writes,
changes, removals, faults, resume after SIGKILL, a second run at once, and reindex from WARC."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.store import ArchiveLock
from itp6crawl.urls import CANONICAL_SITE

CONTENT = "id, url, title, author, credit, published_at, modified_at, categories, tags, summary, body_text, body_html"


def crawl(site_url: str, db: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itp6crawl", "crawl", "--site", site_url, "--db", str(db), "--local", *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "ITP6_TEST": "1"},
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def query(db: Path, sql: str) -> list[sqlite3.Row]:
    """Rows of ``sql`` from a connection that is closed afterwards (a test may unmount the file)."""
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def last_run(db: Path) -> dict:
    return dict(query(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


def articles(db: Path) -> list[tuple]:
    return [tuple(row) for row in query(db, f"SELECT {CONTENT}, status FROM articles ORDER BY id")]


def article_requests(server: ReplicaServer, since: int = 0) -> list[tuple[str, int]]:
    return [(path, status) for _, path, status in server.request_log[since:] if path.endswith(".html")]


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "archive" / "itp6.db"


def test_a_recrawl_of_an_unchanged_site_skips_or_revalidates_every_article(db):
    site = build_site(n_articles=30, seed=3)
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        mark = len(server.request_log)
        ok(crawl(server.base_url, db))
        second = article_requests(server, mark)
    in_sitemaps = [spec for spec in site.articles if spec.listed and spec.in_sitemap]
    with_lastmod = {spec.path for spec in in_sitemaps if spec.sitemap_lastmod}
    without_lastmod = {spec.path for spec in in_sitemaps if not spec.sitemap_lastmod}
    assert with_lastmod and without_lastmod
    # No post is asked again: a lastmod vouches for some, the feed ordered by modification (read to its
    # mark) for the others, and none is due by the revisit plan a moment after it was read.
    assert second == []
    listings = [(path, status) for _, path, status in server.request_log[mark:] if path == "/" or "/category/" in path]
    assert listings and all(status == 304 for _, status in listings)  # the listings read are revalidated
    run = last_run(db)
    assert (run["articles_new"], run["articles_changed"], run["failed"]) == (0, 0, 0)
    assert run["skipped_lastmod"] == len(with_lastmod) and run["finish_reason"] == "finished"
    assert json.loads(run["stats"])["itp6/not_due"] == len(site.articles)
    assert sqlite_utils.Database(db).table("article_versions").count == 0


def test_one_change_one_version_and_views_alone_none(db):
    site = build_site(n_articles=20, seed=4)
    changed, counted = site.articles[2], site.articles[5]
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        site.update_article(changed.id, title=changed.title + "（更新）")
        site.update_article(counted.id, views=(counted.views or 0) + 500)
        ok(crawl(server.base_url, db))
    archive = sqlite_utils.Database(db)
    assert [row["article_id"] for row in archive.table("article_versions").rows] == [changed.id]
    assert archive.table("articles").get(changed.id)["title"].endswith("（更新）")
    run = last_run(db)
    assert (run["articles_changed"], run["articles_new"]) == (1, 0)
    # 20 articles written, then one changed; the crawl's last step rebuilt the search top lists.
    generation, top_generation = archive.execute("SELECT generation, top_generation FROM search_state").fetchone()
    assert generation == top_generation >= 21
    assert not list(db.parent.glob("*.reserve"))  # a run's reserved space goes with the run


def test_a_removed_article_is_marked_gone_and_kept(db):
    site = build_site(n_articles=20, seed=5)
    removed = next(spec for spec in site.articles if spec.listed)
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        site.remove_article(removed.id)
        ok(crawl(server.base_url, db))
        assert (f"/{removed.id}.html", 404) in article_requests(server)  # requested again after leaving the sitemap
    row = sqlite_utils.Database(db).table("articles").get(removed.id)
    assert row["status"] == "gone" and row["gone_at"] and row["body_text"]
    assert last_run(db)["articles_gone"] == 1


def test_a_post_linked_only_from_a_category_page_is_archived_and_new_posts_within_one_run(db):
    site = build_site(n_articles=30, seed=6)
    hidden = site.add_article(
        in_sitemap=False, published=site.articles[0].published.replace(year=2015), categories=["zhiliao"]
    )
    assert site.category_page_of(hidden.id)
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        assert sqlite_utils.Database(db).table("articles").get(hidden.id)["url"] == f"{CANONICAL_SITE}/{hidden.id}.html"
        fresh = site.add_article()
        ok(crawl(server.base_url, db))
    assert sqlite_utils.Database(db).table("articles").get(fresh.id)
    assert last_run(db)["articles_new"] == 1


def test_theme_drift_does_not_stop_discovery(db):
    site = build_site(n_articles=20, seed=8, theme_drift=True)
    hidden = site.add_article(
        in_sitemap=False, published=site.articles[0].published.replace(year=2015), categories=["zhiliao"]
    )
    with ReplicaServer(site) as server:
        result = crawl(server.base_url, db, "-s", "ITP6_PROGRESS=off")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {row["id"]: row for row in sqlite_utils.Database(db).table("articles").rows}
    assert hidden.id in rows and {row["extractor"] for row in rows.values()} == {"fallback"}
    links = sqlite_utils.Database(db).execute("SELECT COUNT(*) FROM links WHERE kind = 'related'").fetchone()[0]
    assert links > 0  # the fallback keeps the related links of renamed markup


def test_a_maintenance_page_never_replaces_the_archived_article(db):
    site = build_site(n_articles=12, seed=9)
    spec = site.articles[1]
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        before = articles(db)
        server.inject_response(spec.path, 200, b"<html><body><p>hello</p></body></html>")
        ok(crawl(server.base_url, db, "--full"))
    assert articles(db) == before
    failures = list(sqlite_utils.Database(db).query("SELECT url, reason FROM failures"))
    assert [f["url"] for f in failures] == [f"{CANONICAL_SITE}{spec.path}"]
    assert "poorer than the archived version" in failures[0]["reason"] or "extraction failed" in failures[0]["reason"]


def test_a_second_run_on_the_same_archive_stops_at_once(db):
    site = build_site(n_articles=5, seed=10)
    """It does not wait for the lock (the lock is held until the crawl has returned: a waiting crawl would
    time out), and asks nothing but the reachability probe."""
    with ReplicaServer(site) as server, ArchiveLock(db):
        result = crawl(server.base_url, db, timeout=120)
        requested = [path for _, path, _ in server.request_log]
    assert result.returncode == 3 and requested == ["/robots.txt"]  # the reachability probe
    assert "another run holds" in result.stderr and f"pid {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr


def _kill_when(process: subprocess.Popen, db: Path, archived: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
                if connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= archived:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _quiet(server: ReplicaServer, settle: float = 0.5) -> int:
    """The length of the server's request log once it has stopped growing for ``settle`` seconds."""
    length = -1
    while length != len(server.request_log):
        length = len(server.request_log)
        time.sleep(settle)
    return length


@pytest.mark.parametrize("kill_after", [3, 25])
def test_a_crawl_killed_with_sigkill_resumes_to_the_same_archive(tmp_path, kill_after):
    site = build_site(n_articles=40, seed=11)
    reference, resumed = tmp_path / "reference.db", tmp_path / "resumed.db"
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, reference))
        # Slow enough to be killed mid-crawl: articles show once their batch commits (ITP6_COMMIT_SECONDS).
        server.delay = 0.1
        command = [sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(resumed)]
        slow = ["-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        process = subprocess.Popen([*command, "--local", *slow], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _kill_when(process, resumed, kill_after)
        server.delay = 0
        with sqlite3.connect(resumed) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            kept = {row[0] for row in connection.execute("SELECT url FROM articles")}
            states = {row[0]: row for row in connection.execute("SELECT * FROM crawl_state")}  # before resuming
        assert len(kept) >= kill_after
        mark = _quiet(server)  # the killed process's last requests may still be answered
        resumed_run = ok(crawl(server.base_url, resumed))
        refetched = {path for path, status in article_requests(server, mark) if status == 200}
    again = {f"{CANONICAL_SITE}{path}" for path in refetched} & kept
    if again:  # seen once in CI (4 of 4 kept posts fetched again): keep what explains it
        before = [states.get(url) for url in sorted(again)]
        log = resumed_run.stderr[-3000:]
        pytest.fail(f"archived posts downloaded again: {sorted(again)}\nstates then: {before}\n{log}")
    assert articles(resumed) == articles(reference)
    runs = list(sqlite_utils.Database(resumed).query("SELECT finish_reason FROM crawl_runs ORDER BY id"))
    assert [run["finish_reason"] for run in runs] == ["killed", "finished"]


def test_reindex_from_warc_equals_the_crawled_archive_in_process_and_in_workers(tmp_path, db):
    """``--jobs 1`` replays here; ``--jobs 3`` extracts in three processes, batches coming back out of order
    of completion: both rebuild exactly the crawled archive and count the same."""
    site = build_site(n_articles=40, seed=12)
    with ReplicaServer(site) as server:
        ok(crawl(server.base_url, db))
        site.update_article(site.articles[3].id, title="改过的标题")
        ok(crawl(server.base_url, db))
    with sqlite3.connect(db) as connection:
        short = connection.execute("SELECT archive_id FROM archive_info").fetchone()[0][:8]
    assert sorted(p.name for p in (db.parent / "warc").iterdir()) == [
        f"itp6-{short}-1.warc.gz",
        f"itp6-{short}-2.warc.gz",
    ]
    reports = []
    for jobs in ("1", "3"):
        rebuilt = tmp_path / f"rebuilt-{jobs}.db"
        warc = str(db.parent / "warc")
        result = subprocess.run(
            [sys.executable, "-m", "itp6crawl", "reindex", "--db", str(rebuilt), "--warc", warc, "--jobs", jobs],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        reports.append(result.stdout.replace(str(rebuilt), "DB"))
        for table, order in (
            ("articles", "id"),
            ("links", "src_id, kind, position"),
            ("comments", "article_id, position"),
            ("article_versions", "article_id, version"),
        ):
            with sqlite3.connect(db) as a, sqlite3.connect(rebuilt) as b:
                query = f"SELECT * FROM {table} ORDER BY {order}"
                assert a.execute(query).fetchall() == b.execute(query).fetchall(), (jobs, table)
        with sqlite3.connect(rebuilt) as connection:
            assert connection.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH '改过'").fetchone()[0]
    assert reports[0] == reports[1] and "articles_new 40" in reports[0], reports
    with sqlite3.connect(tmp_path / "rebuilt-1.db") as a, sqlite3.connect(tmp_path / "rebuilt-3.db") as b:
        query = "SELECT * FROM crawl_state ORDER BY url"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_sigterm_is_recorded_as_interrupted_and_exits_non_zero(db):
    site = build_site(n_articles=40, seed=13)
    with ReplicaServer(site, delay=0.05) as server:
        command = [sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(db), "--local"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 4, stdout + stderr[-2000:]
    assert last_run(db)["finish_reason"] == "interrupted"
    assert "next run continues" in stderr


def test_disk_full_mid_crawl_fails_the_run_instead_of_losing_records(small_disk):
    db = small_disk / "itp6.db"
    with ReplicaServer(build_site(n_articles=200, seed=14)) as server:
        result = crawl(server.base_url, db)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    run = last_run(db)
    assert run["finish_reason"] == "failed" and run["exit_status"] == 1
    assert "No space left" in run["error"] or "full" in run["error"]
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert not list(small_disk.glob("*.reserve"))  # the space held for the last row was used and freed
