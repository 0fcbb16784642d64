"""End to end: crawl a replica served on 127.0.0.1 through the real Scrapy engine, twice."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import pytest
import sqlite_utils

from itp6crawl.extract.boilerplate import LEAK_MARKERS
from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.urls import CANONICAL_SITE

N_ARTICLES = 40
# Texts of the site's boilerplate blocks (../shared/itp6-site.md) that must never reach a body.
BOILERPLATE = [
    "文章属于病友个人治疗见解",
    "不能替代执业医师当面诊断",
    "文章版权归作者所有",
    "未经允许请勿转载",
    "链接:http",
    "支付宝扫一扫",
    "生成海报",
    "发表回复",
    "请登录后评论",
    "登录 后才能评论",
    "评论列表(",
    "时间:7*24小时",
    "不打烊",
    "ITP6病友网由病患制作",
    "抱团取暖",
    "返回顶部",
    "分享本页",
    "关注微信",
    "上一篇",
    "下一篇",
    "相关推荐",
    "相关文章",
    "_wpcom_js",
    "ICP",
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, crawl_locally):
    def crawl(site_url: str, db) -> dict:
        result = crawl_locally(site_url, db)
        assert result.returncode == 0, result.stderr[-3000:]
        return {"stdout": result.stdout, "stderr": result.stderr}

    site = build_site(n_articles=N_ARTICLES, seed=7)
    gold = {g["id"]: g for g in site.gold("http://placeholder")}
    listed = [g for g in gold.values() if g["listed"]]
    broken_500, broken_garbage = listed[3]["id"], listed[5]["id"]
    render = site.render

    def faulty_render(path: str, base: str):
        if path == f"/{broken_500}.html":
            return (
                500,
                {"Content-Type": "text/html; charset=UTF-8"},
                b"<html><body>Error establishing a database connection</body></html>",
            )
        if path == f"/{broken_garbage}.html":
            return 200, {"Content-Type": "text/html; charset=UTF-8"}, b""
        return render(path, base)

    site.render = faulty_render  # type: ignore[method-assign]
    db = tmp_path_factory.mktemp("archive") / "itp6.db"
    with ReplicaServer(site) as server:
        first = crawl(server.base_url, db)
        first_log = list(server.request_log)
        first_counts = {t: sqlite_utils.Database(db).table(t).count for t in ("articles", "links", "comments")}
        second = crawl(server.base_url, db)
        second_log = server.request_log[len(first_log) :]
        # The archive stores the site's canonical URLs, whatever host and port served the pages.
        gold = {g["id"]: g for g in render.__self__.gold(CANONICAL_SITE)}
        requested = [path for _, path, _ in server.request_log]
    return {
        "db": sqlite_utils.Database(db),
        "gold": gold,
        "broken": {broken_500, broken_garbage},
        "first_counts": first_counts,
        "runs": (first, second),
        "requested": requested,
        "logs": (first_log, second_log),
    }


def archived(crawled):
    return {row["id"]: row for row in crawled["db"].table("articles").rows}


def test_every_article_archived_once_with_gold_title_and_body(crawled):
    rows = archived(crawled)
    expected = set(crawled["gold"]) - crawled["broken"]
    assert set(rows) == expected
    for post_id in expected:
        gold, row = crawled["gold"][post_id], rows[post_id]
        assert row["url"] == gold["url"]
        assert row["title"] == gold["title"]
        assert row["body_text"] == "\n\n".join(gold["body"]), post_id
        assert row["author"] == gold["author"] and row["credit"] == gold["credit"]
        assert row["published_at"] == gold["published_at"]
        assert json.loads(row["tags"]) == gold["tags"] and json.loads(row["categories"]) == gold["categories"]
        assert row["extractor"] == "theme"


def test_unlisted_articles_are_found_through_links(crawled):
    unlisted = {g["id"] for g in crawled["gold"].values() if not g["listed"]} - crawled["broken"]
    assert unlisted, "the replica should hide some articles from sitemaps and listings"
    assert unlisted <= set(archived(crawled))


def test_no_boilerplate_in_any_body(crawled):
    for post_id, row in archived(crawled).items():
        gold_body = "\n\n".join(crawled["gold"][post_id]["body"])
        for text in (*BOILERPLATE, *LEAK_MARKERS):
            # A patient may mention such words in a sentence (the replica's traps): never more than gold.
            assert row["body_text"].count(text) == gold_body.count(text), (post_id, text)
            assert row["body_html"].count(text) <= gold_body.count(text) + row["body_html"].count(f'alt="{text}'), (
                post_id,
                text,
            )
        assert "<script" not in row["body_html"] and "onclick" not in row["body_html"]


def test_related_prev_next_links_stored(crawled):
    db = crawled["db"]
    for post_id in archived(crawled):
        gold = crawled["gold"][post_id]
        related = [
            (r["dst_url"], r["title"], r["date"])
            for r in db.query("SELECT * FROM links WHERE src_id = ? AND kind = 'related' ORDER BY position", [post_id])
        ]
        assert related == [(r["url"], r["title"], r["date"]) for r in gold["related"]]
        for kind in ("prev", "next"):
            rows = list(db.query("SELECT dst_url, title FROM links WHERE src_id = ? AND kind = ?", [post_id, kind]))
            expected = [(gold[f"{kind}_url"], gold[f"{kind}_title"])] if gold[f"{kind}_url"] else []
            assert [(r["dst_url"], r["title"]) for r in rows] == expected
    # Links to archived articles are resolved to their ids; the 微信群 page and failed pages stay NULL.
    dangling = {r["dst_url"] for r in db.query("SELECT dst_url FROM links WHERE dst_id IS NULL")}
    assert all(
        urlparse(url).path.strip("/").removesuffix(".html") in {str(i) for i in crawled["broken"]}
        or not url.endswith(".html")
        for url in dangling
    )


def test_comments_are_kept_apart_from_the_body(crawled):
    db, rows = crawled["db"], archived(crawled)
    with_comments = [g for g in crawled["gold"].values() if g["comments"] and g["id"] in rows]
    assert with_comments
    for gold in with_comments:
        stored = list(
            db.query("SELECT author, text, time FROM comments WHERE article_id = ? ORDER BY position", [gold["id"]])
        )
        assert [(c["author"], c["text"], c["time"]) for c in stored] == [
            (c["author"], c["text"], c["time"]) for c in gold["comments"]
        ]
        for comment in gold["comments"]:
            assert comment["text"] not in rows[gold["id"]]["body_text"]


def test_second_crawl_downloads_no_article_body_and_changes_nothing(crawled):
    db = crawled["db"]
    assert {t: db.table(t).count for t in ("articles", "links", "comments")} == crawled["first_counts"]
    runs = list(db.query("SELECT * FROM crawl_runs ORDER BY id"))
    assert len(runs) == 2 and all(run["finish_reason"] == "finished" for run in runs)
    expected = len(crawled["gold"]) - len(crawled["broken"])
    assert runs[0]["articles_new"] == expected
    assert (runs[1]["articles_new"], runs[1]["articles_changed"]) == (0, 0)
    assert db.table("article_versions").count == 0
    # Every article the second run asked for was answered 304, except the two broken ones.
    _, second_log = crawled["logs"]
    broken = {f"/{post_id}.html" for post_id in crawled["broken"]}
    bodies = [path for _, path, status in second_log if path.endswith(".html") and status != 304]
    assert set(bodies) <= broken
    # The others were not asked at all: vouched for by a lastmod or a modification index, or not due.
    stats = json.loads(runs[1]["stats"])
    assert runs[1]["not_modified"] + stats["itp6/not_due"] >= expected


def test_broken_pages_are_recorded_and_the_crawl_goes_on(crawled):
    failures = list(crawled["db"].query("SELECT run_id, url, status, reason FROM failures ORDER BY run_id, url"))
    assert len(failures) == 4  # two broken pages, two runs
    reasons = {(urlparse(f["url"]).path, f["reason"]) for f in failures}
    a, b = sorted(crawled["broken"])
    assert any(reason == "HTTP 500" for _, reason in reasons)
    assert any(reason.startswith("extraction failed: empty document") for _, reason in reasons)
    assert {path for path, _ in reasons} == {f"/{a}.html", f"/{b}.html"}


def test_polite_discovery(crawled):
    requested = crawled["requested"]
    assert "/robots.txt" in requested and "/wp-sitemap.xml" in requested
    assert "/page/2/" not in requested  # the theme empties the home page's pagination
    for log in crawled["logs"]:
        articles = [path for _, path, status in log if path.endswith(".html") and status < 500]
        assert len(articles) == len(set(articles))  # each article requested at most once per run (5xx: retried)


def _stored(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as reader:
            return reader.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_second_ctrl_c_still_ends_as_interrupted_and_keeps_what_was_stored(tmp_path):
    """Ctrl-C waits for the downloads under way (up to DOWNLOAD_TIMEOUT); an operator who presses it again
    stops the crawl at once, and the run still ends as interrupted (exit 4) with its articles kept and
    counted, not as 'the crawl did not start'."""
    site = build_site(n_articles=30, seed=23)
    db = tmp_path / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        hanging = {spec.path for spec in site.articles[-6:]}
        for path in hanging:  # downloads that keep the graceful stop waiting
            server.inject_transport_fault(path, "hang", times=None, seconds=120)
        command = [sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(db), "--local"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        graceful = threading.Event()

        def read_stderr() -> None:
            for line in process.stderr:
                lines.append(line)
                if "shutting down gracefully" in line:
                    graceful.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while _stored(db) < 5 or not hanging & {path for _, path, _ in list(server.request_log)}:
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)[-3000:]
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        assert graceful.wait(60), "".join(lines)[-3000:]
        process.send_signal(signal.SIGINT)
        stdout = process.stdout.read()
        process.wait(timeout=60)
        reader.join(timeout=10)
    stderr = "".join(lines)
    assert process.returncode == 4, stdout + stderr[-3000:]
    assert "forcing unclean shutdown" in stderr  # the second signal came while the first one waited
    assert "did not start" not in stdout + stderr and "next run continues" in stderr
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        (run,) = connection.execute("SELECT * FROM crawl_runs").fetchall()
        stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (run["finish_reason"], run["exit_status"]) == ("interrupted", 4)
    assert run["finished_at"] and stored >= 5 and run["articles_new"] == stored
    assert f"new {stored}," in stdout  # the printed summary is the run row
