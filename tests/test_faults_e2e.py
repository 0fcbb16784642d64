"""Broken pages at post URLs, met by a real crawl of the replica: each is a failure with its reason,
never an article, and the rest of the crawl completes."""

from __future__ import annotations

import random
import sqlite3

from itp6crawl.models import CANONICAL_SITE
from itp6crawl.replica import ReplicaServer, build_site


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
