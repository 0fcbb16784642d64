"""Broken pages at post URLs, met by a real crawl of the replica: each is a failure with its reason,
never an article, and the rest of the crawl completes."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time

import pytest

from itp6crawl.export import export
from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search
from itp6crawl.settings import DOWNLOAD_MAXSIZE
from itp6crawl.store.reports import table_counts
from itp6crawl.urls import CANONICAL_SITE


def test_binary_and_non_article_pages_at_post_urls_become_failures_not_articles(tmp_path, crawl_locally):
    site = build_site(n_articles=16, seed=12)
    home = site.render("/", "http://127.0.0.1")[2]
    not_found = site.render("/no-such-post.html", "http://127.0.0.1")[2]
    broken = {
        "binary garbage": (random.Random(3).randbytes(6000), "text/html", "not an HTML page: binary data"),
        "a PNG": (b"\x89PNG\r\n\x1a\n" + bytes(2000), "text/html", "the bytes are a PNG image"),
        "the 404 page with 200": (not_found, "text/html; charset=utf-8", "the site's 404 page"),
        "the home page": (home, "text/html; charset=utf-8", "the home page"),
        "no title": (b"<html><body><p>hello</p></body></html>", "text/html", "the page has no title"),
    }
    victims = dict(zip(broken, site.articles[2:7], strict=True))
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        for name, spec in victims.items():
            body, content_type, _ = broken[name]
            server.inject_response(spec.path, 200, body, content_type=content_type, times=None)
        result = crawl_locally(server.base_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as connection:
        archived = {row[0] for row in connection.execute("SELECT id FROM articles")}
        reasons = dict(connection.execute("SELECT url, reason FROM failures"))
    assert archived == {spec.id for spec in site.articles} - {spec.id for spec in victims.values()}
    for name, spec in victims.items():
        reason = reasons[f"{CANONICAL_SITE}{spec.path}"]
        assert broken[name][2] in reason, (name, reason)


def test_redirect_loops_and_off_site_redirects_are_failures_and_a_good_redirect_is_followed(tmp_path, crawl_locally):
    site = build_site(n_articles=12, seed=13)
    looping, leaving, moved, target = site.articles[2], site.articles[3], site.articles[4], site.articles[5]
    other = f"/{looping.id + 100000}.html"
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        server.inject_response(looping.path, 301, headers={"Location": other}, times=None)
        server.inject_response(other, 302, headers={"Location": looping.path}, times=None)
        server.inject_response(leaving.path, 302, headers={"Location": "https://example.org/away.html"}, times=None)
        server.inject_response(moved.path, 301, headers={"Location": f"{server.base_url}{moved.path}?moved=1"}, times=1)
        result = crawl_locally(server.base_url, db)
        requested = [path for _, path, _ in server.request_log]
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as connection:
        archived = {row[0] for row in connection.execute("SELECT id FROM articles")}
        reasons = dict(connection.execute("SELECT url, reason FROM failures"))
    assert reasons[f"{CANONICAL_SITE}{looping.path}"].startswith("redirect loop: ")
    assert reasons[f"{CANONICAL_SITE}{leaving.path}"].startswith("redirected off the site: ")
    assert "https://example.org/away.html" in reasons[f"{CANONICAL_SITE}{leaving.path}"]
    assert moved.id in archived and target.id in archived and looping.id not in archived
    assert requested.count(looping.path) == 1 and requested.count(other) == 1  # no going round


# name -> (how the replica fails the post, archived in the end?, words of the failure reason or None)
TRANSPORT_AND_HTTP_FAULTS = {
    "500 once, then the page": (("status", 500, 1), True, None),
    "503 forever": (("status", 503, None), False, "HTTP 503"),
    "503 with Retry-After once": (("retry-after", 503, 1), True, None),
    "connection reset once": (("transport", "reset", 1), True, None),
    "connection reset forever": (("transport", "reset", None), False, "connection lost"),
    "no answer (timeout) forever": (("transport", "hang", None), False, "timed out"),
    "no answer (timeout) once": (("transport", "hang", 1), True, None),
    "cut short forever": (("transport", "truncate", None), False, "response cut short"),
    "cut short once": (("transport", "truncate", 1), True, None),
    "slow page": (("transport", "slow", None), True, None),
    "empty 200": (("body", b"", "text/html"), False, "empty document"),
    "a PDF as application/pdf": (("body", b"%PDF-1.4\n" + bytes(3000), "application/pdf"), False, "PDF document"),
}


def test_http_and_transport_faults_are_retried_or_recorded_and_the_crawl_completes(tmp_path, itp6crawl_cli):
    """Retries (RETRY_TIMES 2) recover what fails once; what keeps failing is a failure row with a reason
    a person understands; every other post is archived and the run ends well (exit 0)."""
    site = build_site(n_articles=20, seed=14)
    plan = dict(zip(TRANSPORT_AND_HTTP_FAULTS, site.articles[2:], strict=False))
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        for name, spec in plan.items():
            kind, first, times = TRANSPORT_AND_HTTP_FAULTS[name][0]
            if kind == "status":
                server.inject_fault(spec.path, first, times=times)
            elif kind == "retry-after":
                server.inject_response(spec.path, first, b"busy", headers={"Retry-After": "1"}, times=times)
            elif kind == "transport":
                server.inject_transport_fault(spec.path, first, times=times, seconds=4 if first == "hang" else 1)
            else:
                server.inject_response(spec.path, 200, first, content_type=times, times=None)
        result = itp6crawl_cli(
            "crawl",
            "--site",
            server.base_url,
            "--db",
            str(db),
            "--local",
            "-s",
            "RETRY_TIMES=2",
            "-s",
            "DOWNLOAD_TIMEOUT=2",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as connection:
        archived = {row[0] for row in connection.execute("SELECT id FROM articles")}
        reasons = dict(connection.execute("SELECT url, reason FROM failures"))
        run = connection.execute("SELECT finish_reason, failed FROM crawl_runs").fetchone()
    for name, spec in plan.items():
        _, kept, words = TRANSPORT_AND_HTTP_FAULTS[name]
        reason = reasons.get(f"{CANONICAL_SITE}{spec.path}")
        assert (spec.id in archived) == kept, (name, reason)
        assert (words is None and reason is None) or (words and words in reason), (name, reason)
    untouched = {spec.id for spec in site.articles} - {spec.id for spec in plan.values()}
    assert untouched <= archived
    assert run == ("finished", sum(1 for _, kept, _ in TRANSPORT_AND_HTTP_FAULTS.values() if not kept))


def test_one_post_under_many_urls_is_one_request_and_robots_blocked_posts_are_never_asked(tmp_path, crawl_locally):
    site = build_site(n_articles=12, seed=15)
    linking, target, blocked = site.articles[1], site.articles[2], site.articles[3]
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        base = server.base_url
        spellings = [
            f"{target.path}?replytocom=5",
            f"{base}{target.path}?utm_source=x&utm_medium=y",
            f"{target.path}#comments",
            f"https://127.0.0.1:{server.port}{target.path}",
            f"https://elsewhere.example{target.path}",
            blocked.path,
        ]
        anchors = "".join(f'<a href="{href}">x</a>' for href in spellings).encode()
        page = site.render(linking.path, base)[2].replace(b"</body>", anchors + b"</body>")
        server.inject_response(linking.path, 200, page, times=None)
        robots = site.render("/robots.txt", base)[2].replace(
            b"Disallow: /wp-admin/", f"Disallow: /wp-admin/\nDisallow: {blocked.path}".encode()
        )
        server.inject_response("/robots.txt", 200, robots, content_type="text/plain", times=None)
        result = crawl_locally(base, db)
        requested = [path for _, path, _ in server.request_log]
    assert result.returncode == 0, result.stderr[-3000:]
    assert [path for path in requested if str(target.id) in path] == [target.path]
    assert not [path for path in requested if str(blocked.id) in path]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles WHERE id = ?", (target.id,)).fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM failures").fetchone() == (0,)  # robots: not a failure
        assert connection.execute("SELECT failed FROM crawl_runs").fetchone() == (0,)


def test_searches_and_exports_during_a_crawl_never_hit_a_locked_database(tmp_path):
    """Readers (search, export, table counts) run in a loop while the crawl writes: WAL, a busy timeout and
    one short transaction per article keep them from ever failing or seeing half an article."""
    site = build_site(n_articles=80, seed=16)
    db = tmp_path / "archive" / "itp6.db"
    reads, errors = 0, []
    with ReplicaServer(site, delay=0.03) as server:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(db), "--local"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        while crawl.poll() is None:
            if not db.exists():
                time.sleep(0.05)
                continue
            try:
                hits = search(db, "血小板", limit=5)
                counts = table_counts(db)
                if reads % 5 == 0:
                    result = export(db, tmp_path / "export")
                    assert result.rows("dataset_articles") <= counts["articles"] + 80
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
                    half = connection.execute(
                        "SELECT count(*) FROM articles WHERE title_seg IS NULL OR content_hash IS NULL"
                        " OR id NOT IN (SELECT rowid FROM articles_fts)"
                    ).fetchone()[0]
                assert half == 0 and hits.total >= len(hits)
                reads += 1
            except Exception as error:
                errors.append(repr(error))
        stderr = crawl.stderr.read()
    assert crawl.returncode == 0, stderr[-3000:]
    assert not errors, errors[:3]
    assert reads >= 3, reads


def test_a_crawl_waits_out_another_writers_lock_says_so_and_loses_nothing(tmp_path):
    """Another process holds the archive's write lock for 3 s mid-crawl: the crawl waits (busy timeout),
    logs that it waited, and archives every article."""
    articles = 25
    site = build_site(n_articles=articles, seed=18)
    db = tmp_path / "archive" / "itp6.db"
    # One request at a time, 0.1 s each: the articles take seconds, so the lock lands mid-crawl even on a
    # loaded machine (with 8 parallel requests CI once stored all 40 before the lock was taken).
    with ReplicaServer(site, delay=0.1) as server:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(db), "--local",
             "-s", "ITP6_PROGRESS=off", "-s", "CONCURRENT_REQUESTS=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:  # until some articles are in
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as reader:
                    if reader.execute("SELECT count(*) FROM articles").fetchone()[0] >= 3:
                        break
            except sqlite3.Error:
                pass
            assert time.monotonic() < deadline and crawl.poll() is None
            time.sleep(0.05)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as another writer would hold it
        stored = holder.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert stored < articles, "the crawl stored every article before the lock was taken: nothing waited"
        time.sleep(3)
        holder.execute("ROLLBACK")
        holder.close()
        _, stderr = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, stderr[-3000:]
    assert "another process was writing to the archive" in stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == articles
        assert connection.execute("SELECT count(*) FROM failures").fetchone()[0] == 0


def test_oversized_pages_and_wrong_or_missing_charsets_at_post_urls(tmp_path, crawl_locally):
    """A 10 MB post (a pasted screenshot inline) is archived without its data: image; one over
    DOWNLOAD_MAXSIZE is a failure that says so; a post whose header or meta charset lies, or that declares
    none, is decoded right (its title reads as the site wrote it)."""
    site = build_site(n_articles=14, seed=19)
    large, huge, lying_header, lying_meta, undeclared = site.articles[2:7]
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        server.inject_oversized_page(large.path, 10_000_000)
        server.inject_oversized_page(huge.path, DOWNLOAD_MAXSIZE + 1_000_000)
        server.inject_charset_fault(lying_header.path, "gb18030", header_charset="utf-8", meta_charset="gbk")
        server.inject_charset_fault(lying_meta.path, "utf-8", header_charset=None, meta_charset="gbk")
        server.inject_charset_fault(undeclared.path, "gb18030", header_charset=None, meta_charset=None)
        result = crawl_locally(server.base_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as connection:
        titles = dict(connection.execute("SELECT id, title FROM articles"))
        reasons = dict(connection.execute("SELECT url, reason FROM failures"))
        large_html = connection.execute("SELECT body_html FROM articles WHERE id = ?", (large.id,)).fetchone()[0]
    assert set(reasons) == {f"{CANONICAL_SITE}{huge.path}"}
    assert "page larger than the 16 MiB download limit" in reasons[f"{CANONICAL_SITE}{huge.path}"]
    assert titles[large.id] == large.title and "data:" not in large_html
    for spec in (lying_header, lying_meta, undeclared):
        assert titles[spec.id] == spec.title
    assert set(titles) == {spec.id for spec in site.articles} - {huge.id}


def test_a_local_crawl_retries_what_fails_once(tmp_path, crawl_locally):
    """``--local`` relaxes politeness, not robustness: a 503 once and a reset connection once are retried
    and archived, as the faults table says, without ``-s RETRY_TIMES``."""
    site = build_site(n_articles=10, seed=19)
    unavailable, reset = site.articles[2], site.articles[3]
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        server.inject_fault(unavailable.path, 503, times=1)
        server.inject_transport_fault(reset.path, "reset", times=1)
        result = crawl_locally(server.base_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as connection:
        archived = {row[0] for row in connection.execute("SELECT id FROM articles")}
        assert connection.execute("SELECT count(*) FROM failures").fetchone() == (0,)
    assert archived == {spec.id for spec in site.articles}


def _committed(db) -> tuple[tuple, tuple]:
    """(articles_new, failed) of the run row, and the rows those count."""
    with sqlite3.connect(db) as connection:
        counts = connection.execute("SELECT articles_new, failed FROM crawl_runs").fetchone()
        rows = (
            connection.execute("SELECT count(*) FROM articles").fetchone()[0],
            connection.execute("SELECT count(*) FROM failures").fetchone()[0],
        )
    return counts, rows


@pytest.mark.parametrize("warc", ["on", "off"])
def test_a_disk_full_mid_crawl_leaves_run_counts_equal_to_the_rows_stored(small_disk, itp6crawl_cli, warc):
    """The disk fills while a batch of articles is open (WARC on: the WARC file fills it; off: the
    database): the run row counts what was committed, not what was saved into the lost batch."""
    db = small_disk / "itp6.db"
    with ReplicaServer(build_site(n_articles=200, seed=14)) as server:
        result = itp6crawl_cli(
            "crawl", "--site", server.base_url, "--db", str(db), "--local", "--log-level", "WARNING",
            "-s", f"ITP6_WARC={warc == 'on'}",
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    counts, rows = _committed(db)
    assert counts == rows, result.stdout
    assert f"new {counts[0]}," in result.stdout  # the printed summary is the run row
