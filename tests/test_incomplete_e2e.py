"""Pages cut short in ways the transport does not notice, met by real crawls of the replica: each is a
failure with its reason, never stored or versioned, and the next run fetches it again, even when its
sitemap ``lastmod`` has not changed (issue [7])."""

from __future__ import annotations

import sqlite3

from conftest import local_crawl

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.replica.server import INCOMPLETE_PAGES
from itp6crawl.urls import CANONICAL_SITE

REASONS = {
    "cut": "incomplete page: it ends before </html>",
    "cut-character": "incomplete page: it ends in the middle of a character",
    "cut-before-end": "incomplete page: it ends before </html>",
    "gzip-cut": "incomplete page: its gzip stream ends early",
    "fatal-error": "incomplete page: the theme stops after the article, without its footer",
}


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def rows(db, sql, *params):
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def test_incomplete_pages_are_failures_and_fetched_whole_by_the_next_run(tmp_path):
    site = build_site(n_articles=24, seed=71)
    candidates = [spec for spec in site.articles if spec.in_sitemap and spec.sitemap_lastmod and spec.listed]
    victims = dict(zip(INCOMPLETE_PAGES, candidates, strict=False))
    assert len(victims) == len(INCOMPLETE_PAGES) == len(REASONS)
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        for kind, spec in victims.items():
            server.inject_incomplete_page(spec.path, kind, times=1)
        ok(local_crawl(server.base_url, db))
        archived = {row[0] for row in rows(db, "SELECT id FROM articles")}
        reasons = dict(rows(db, "SELECT url, reason FROM failures"))
        for kind, spec in victims.items():
            assert spec.id not in archived, kind
            assert reasons[f"{CANONICAL_SITE}{spec.path}"].startswith(REASONS[kind]), (kind, reasons)
            # No crawl state: nothing may let the next run skip it (its sitemap lastmod is unchanged).
            assert not rows(db, "SELECT 1 FROM crawl_state WHERE url = ?", f"{CANONICAL_SITE}{spec.path}"), kind
        assert archived == {spec.id for spec in site.articles} - {spec.id for spec in victims.values()}
        mark = len(server.request_log)
        ok(local_crawl(server.base_url, db))
        fetched_again = {path for _, path, status in server.request_log[mark:] if status == 200}
    assert {spec.path for spec in victims.values()} <= fetched_again
    assert {row[0] for row in rows(db, "SELECT id FROM articles")} == {spec.id for spec in site.articles}
    for spec in victims.values():
        (n_comments,) = rows(db, "SELECT count(*) FROM comments WHERE article_id = ?", spec.id)[0]
        assert n_comments == spec.n_comments


def test_an_edit_served_cut_short_keeps_the_archived_version_and_the_next_run_stores_the_edit(tmp_path):
    site = build_site(n_articles=12, seed=72)
    spec = next(spec for spec in site.articles if spec.in_sitemap and spec.sitemap_lastmod and spec.listed)
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        ok(local_crawl(server.base_url, db))
        before = rows(db, "SELECT title, body_text, content_hash FROM articles WHERE id = ?", spec.id)
        site.update_article(spec.id, title="改过的标题：治疗记录")
        server.inject_incomplete_page(spec.path, "cut", times=1)
        ok(local_crawl(server.base_url, db))
        assert rows(db, "SELECT title, body_text, content_hash FROM articles WHERE id = ?", spec.id) == before
        assert not rows(db, "SELECT 1 FROM article_versions WHERE article_id = ?", spec.id)
        (reason,) = rows(db, "SELECT reason FROM failures WHERE url = ?", f"{CANONICAL_SITE}{spec.path}")[0]
        assert reason.startswith("incomplete page: it ends before </html>")
        ok(local_crawl(server.base_url, db))
    assert rows(db, "SELECT title FROM articles WHERE id = ?", spec.id) == [("改过的标题：治疗记录",)]
    assert len(rows(db, "SELECT 1 FROM article_versions WHERE article_id = ?", spec.id)) == 1
