#!/usr/bin/env python3
"""A scheduled re-crawl of an unchanged site: what it costs beside the first crawl.

Serves a replica of N articles on 127.0.0.1 in two scenarios, (a) as built (about 70% of the posts have a
sitemap ``lastmod``) and (b) every post with a ``lastmod``. In each: a first crawl into a fresh archive, a
second crawl of the unchanged site and, with ``--with-change``, a third after 10 articles changed. Every
crawl is ``itp6crawl crawl --local`` in a child process. Figures come from the replica's side (each request,
its status and the body bytes it sent) and from the run's ``crawl_runs`` row. Then the ratios
re-crawl / first crawl against the goals, and a projection to the live site at the polite pace.

    python benchmarks/recrawl.py [--articles 2000] [--concurrency 8] [--with-change]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.replica.site import SITEMAP_SIZE, Site
from itp6crawl.store.reports import recent_runs
from itp6crawl.store.schema import RUN_COUNT_COLUMNS

ARTICLE_REQUEST_GOAL = 0.05  # re-crawl article requests / first crawl's, when every post has a lastmod
BYTES_GOAL = 0.01  # re-crawl body bytes / first crawl's, both scenarios
CHANGED_ARTICLES = 10
ARTICLE_PATH = re.compile(r"^/\d+\.html$")
LISTING_PATH = re.compile(r"^/(?:$|\?|page/|category/|tag/|author/)")
KINDS = ("robots", "sitemaps", "listings", "articles", "other")
LISTINGS = ("with lastmod", "no lastmod", "no sitemap", "unknown")


class MeasuringServer(ReplicaServer):
    """A replica server that also records the body bytes it sends: ``sent`` holds (method, path, status,
    body bytes), one per request, beside the parent's ``request_log``. HEAD and 304 send no body."""

    def __init__(self, site: Site) -> None:
        super().__init__(site)
        self.sent: list[tuple[str, str, int, int]] = []
        self._sent_lock = threading.Lock()
        self._local = threading.local()  # the server answers each request in its own thread

    def respond(self, path: str, request_headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self._local.size = 0
        status, headers, body = super().respond(path, request_headers)
        self._local.size = len(body)
        return status, headers, body

    def log(self, method: str, path: str, status: int) -> None:
        super().log(method, path, status)
        size = getattr(self._local, "size", 0) if method == "GET" and status != 304 else 0
        self._local.size = 0
        with self._sent_lock:
            self.sent.append((method, path, status, size))


def kind_of(path: str) -> str:
    path = path.split("#", 1)[0]
    bare = path.split("?", 1)[0]
    if bare == "/robots.txt":
        return "robots"
    if bare.startswith("/wp-sitemap"):
        return "sitemaps"
    if ARTICLE_PATH.match(bare):
        return "articles"
    if LISTING_PATH.match(path):
        return "listings"
    return "other"


def sitemap_listing(site: Site) -> dict[str, str]:
    """Each article path -> 'with lastmod', 'no lastmod' (in a sitemap without one) or 'no sitemap'."""
    listed = {spec.path: spec.sitemap_lastmod for chunk in site.sitemap_chunks() for spec in chunk}
    return {
        spec.path: "no sitemap" if spec.path not in listed else ("with lastmod" if listed[spec.path] else "no lastmod")
        for spec in site.articles
    }


def sitemap_lastmod_share(site: Site) -> tuple[int, int]:
    """(entries with a lastmod, entries) over the posts sitemaps, as the site renders them now."""
    with_lastmod = entries = 0
    for number in range(1, len(site.sitemap_chunks()) + 1):
        _, _, body = site.render(f"/wp-sitemap-posts-post-{number}.xml", "http://check")
        text = body.decode("utf-8")
        entries += text.count("<url>")
        with_lastmod += text.count("<lastmod>")
    return with_lastmod, entries


def crawl_command(site: str, db: str, concurrency: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "itp6crawl",
        "crawl",
        "--site",
        site,
        "--db",
        db,
        "--local",
        "--log-level",
        "WARNING",
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
    ]


def crawl(
    server: MeasuringServer, db: Path, concurrency: int, logs: Path, label: str, listing: dict[str, str]
) -> dict[str, Any]:
    """One ``itp6crawl crawl --local`` child process; its figures from the server's log and its run row.

    ``listing`` maps each article path to how the sitemaps list it (see :func:`sitemap_listing`)."""
    command = crawl_command(server.base_url, str(db), concurrency)
    first = len(server.sent)
    out, err = logs / f"{label}.out", logs / f"{label}.err"
    start = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, wait_status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the running maximum
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(wait_status)
    if child.returncode != 0:
        print(f"crawl {label} exited {child.returncode}:\n{err.read_text(errors='replace')[-3000:]}", file=sys.stderr)
    sent = server.sent[first:]
    row = recent_runs(db, 1)[0]
    statuses = Counter(status for _, _, status, _ in sent)
    by_kind: dict[str, Counter[int]] = defaultdict(Counter)
    by_listing: Counter[str] = Counter()
    bytes_by_kind: Counter[str] = Counter()
    for _, path, status, size in sent:
        by_kind[kind_of(path)][status] += 1
        bytes_by_kind[kind_of(path)] += size
        if kind_of(path) == "articles":
            by_listing[listing.get(path.split("?", 1)[0], "unknown")] += 1
    return {
        "wall_s": round(elapsed, 2),
        "exit": child.returncode,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "requests": len(sent),
        "article_requests": sum(by_kind["articles"].values()),
        "article_requests_by_sitemap": {key: by_listing[key] for key in LISTINGS if by_listing[key]},
        "status_200": statuses.get(200, 0),
        "status_304": statuses.get(304, 0),
        "status_other": {str(s): n for s, n in sorted(statuses.items()) if s not in (200, 304)},
        "body_bytes": sum(size for *_, size in sent),
        "body_bytes_by_kind": {kind: bytes_by_kind[kind] for kind in KINDS if by_kind[kind]},
        "scrapy_response_bytes": row.get("bytes") or 0,
        "by_kind": {kind: {str(s): n for s, n in sorted(by_kind[kind].items())} for kind in KINDS if by_kind[kind]},
        "run": {key: row.get(key) for key in (*RUN_COUNT_COLUMNS, "started_at", "finished_at", "exit_status")},
        "unexpected": {} if label.endswith("first") else unexpected_requests(sent),
    }


def unexpected_requests(sent: list[tuple[str, str, int, int]]) -> dict[str, list[str]]:
    """Every request that is not an article answered 304, by kind: 'METHOD path status'."""
    found: dict[str, list[str]] = defaultdict(list)
    for method, path, status, _ in sent:
        if kind_of(path) == "articles" and status == 304:
            continue
        found[kind_of(path)].append(f"{method} {path} {status}")
    return {kind: found[kind] for kind in KINDS if found[kind]}


def scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    site = build_site(n_articles=args.articles)
    if name == "b":
        for spec in site.articles:
            spec.sitemap_lastmod = True
    with_lastmod, entries = sitemap_lastmod_share(site)
    listing = sitemap_listing(site)
    if name == "b" and with_lastmod != entries:
        raise SystemExit(f"scenario b: the sitemaps give a lastmod for {with_lastmod} of {entries} posts, not all")
    result: dict[str, Any] = {
        "articles": len(site.articles),
        "sitemap_entries": entries,
        "sitemap_lastmod": with_lastmod,
        "articles_in_no_sitemap": sum(1 for value in listing.values() if value == "no sitemap"),
        "crawls": {},
    }
    with tempfile.TemporaryDirectory() as tmp, MeasuringServer(site) as server:
        db, logs = Path(tmp) / "recrawl.db", Path(tmp)
        print(f"scenario {name}: first crawl of {len(site.articles)} articles ...", flush=True)
        result["crawls"]["first"] = crawl(server, db, args.concurrency, logs, f"{name}-first", listing)
        print(f"scenario {name}: re-crawl of the unchanged site ...", flush=True)
        result["crawls"]["recrawl"] = crawl(server, db, args.concurrency, logs, f"{name}-recrawl", listing)
        if args.with_change:
            specs = site.articles
            count = min(CHANGED_ARTICLES, len(specs))
            changed = [specs[i * len(specs) // count].id for i in range(count)]
            for post_id in changed:
                spec = site.article(post_id)
                assert spec is not None
                site.update_article(post_id, title=f"{spec.title}（已更新）")
            result["changed_ids"] = changed
            print(f"scenario {name}: crawl after {count} articles changed ...", flush=True)
            result["crawls"]["changed"] = crawl(server, db, args.concurrency, logs, f"{name}-changed", listing)
    return result


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def project(first: dict[str, Any], recrawl: dict[str, Any], articles: int, live_posts: int, rate: float) -> dict:
    """Requests and hours of the live site's first crawl and re-crawl, scaled from the replica's by kind.

    Per-post requests (articles, and the first crawl's listing pages, 10 posts a page) scale with
    live_posts / articles; robots.txt, the sitemap index, the pages and categories sitemaps and the
    re-crawl's listings (first pages only, nothing new to paginate to) are taken as measured; posts
    sitemaps are ceil(live_posts / 2000)."""
    scale = live_posts / articles
    post_sitemaps_replica = math.ceil(articles / SITEMAP_SIZE)
    post_sitemaps_live = math.ceil(live_posts / SITEMAP_SIZE)

    def count(crawl: dict[str, Any], kind: str) -> int:
        return sum(crawl["by_kind"].get(kind, {}).values())

    def requests(crawl: dict[str, Any], listings_scale: float) -> float:
        sitemaps = count(crawl, "sitemaps") - post_sitemaps_replica + post_sitemaps_live
        return (
            count(crawl, "robots")
            + sitemaps
            + count(crawl, "listings") * listings_scale
            + (count(crawl, "articles") + count(crawl, "other")) * scale
        )

    first_requests = requests(first, scale)
    recrawl_requests = requests(recrawl, 1.0)
    return {
        "first_requests": round(first_requests),
        "first_hours": round(first_requests / rate / 3600, 2),
        "recrawl_requests": round(recrawl_requests),
        "recrawl_hours": round(recrawl_requests / rate / 3600, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="CONCURRENT_REQUESTS for the local crawls")
    parser.add_argument("--with-change", action="store_true", help=f"change {CHANGED_ARTICLES} articles, crawl again")
    parser.add_argument("--live-posts", type=int, default=18_700, help="posts on the live site (projection)")
    parser.add_argument("--live-rate", type=float, default=0.5, help="polite pages/s on the live site (projection)")
    args = parser.parse_args(argv)

    print("$ " + shlex.join([sys.executable, *sys.argv]), flush=True)
    print("each crawl: " + shlex.join(crawl_command("http://127.0.0.1:PORT", "TMP/recrawl.db", args.concurrency)))
    started = time.perf_counter()
    results = {name: scenario(name, args) for name in ("a", "b")}
    total = time.perf_counter() - started

    labels = {"first": "first", "recrawl": "re-crawl", "changed": "changed"}
    columns = [(name, key) for name in results for key in results[name]["crawls"]]
    header = "".join(f"{f'{name}: {labels[key]}':>14}" for name, key in columns)

    def line(title: str, value: Any) -> str:
        cells = "".join(f"{value(results[name]['crawls'][key]):>14}" for name, key in columns)
        return f"{title:<30}{cells}"

    print()
    for name, label in (("a", "replica as built"), ("b", "every post with a sitemap lastmod")):
        r = results[name]
        print(
            f"scenario {name}: {label}: {r['articles']} articles, "
            f"{r['sitemap_lastmod']}/{r['sitemap_entries']} sitemap entries with lastmod "
            f"({percent(ratio(r['sitemap_lastmod'], r['sitemap_entries']))}); "
            f"{r['articles_in_no_sitemap']} articles in no sitemap (reached through links and listings only)"
        )
    if args.with_change:
        print(f"changed: the titles of {CHANGED_ARTICLES} articles, evenly spread by id, before the third crawl")
    print()
    print(f"{'':<30}{header}")
    print(line("wall time (s, process start)", lambda c: f"{c['wall_s']:.1f}"))
    print(line("exit status", lambda c: c["exit"]))
    print(line("requests sent", lambda c: c["requests"]))
    print(line("  article requests (.html)", lambda c: c["article_requests"]))
    for key in LISTINGS[:3]:
        print(line(f"    of posts: {key}", lambda c, key=key: c["article_requests_by_sitemap"].get(key, 0)))
    print(line("  200 (with a body)", lambda c: c["status_200"]))
    print(line("  304", lambda c: c["status_304"]))
    print(line("  other statuses", lambda c: " ".join(f"{s}:{n}" for s, n in c["status_other"].items()) or "-"))
    print(line("body bytes sent (MB)", lambda c: f"{c['body_bytes'] / 1e6:.3f}"))
    print(line("Scrapy response bytes (MB)", lambda c: f"{c['scrapy_response_bytes'] / 1e6:.3f}"))
    print(line("run: requested", lambda c: c["run"]["requested"]))
    print(line("run: skipped by lastmod", lambda c: c["run"]["skipped_lastmod"]))
    print(line("run: not modified (304)", lambda c: c["run"]["not_modified"]))
    print(line("run: articles new", lambda c: c["run"]["articles_new"]))
    print(line("run: articles changed", lambda c: c["run"]["articles_changed"]))
    print(line("run: articles unchanged", lambda c: c["run"]["articles_unchanged"]))
    print(line("run: failed", lambda c: c["run"]["failed"]))
    print(line("peak RSS of the crawl (MiB)", lambda c: f"{c['peak_rss_mib']:.0f}"))
    print()
    print("body bytes: HTTP bodies the replica sent (200 only; 304 and HEAD have none). Scrapy response bytes:")
    print("downloader/response_bytes of the run row, status line and headers included (so 304s count too).")

    print()
    print("re-crawl / first crawl:")
    goals: dict[str, Any] = {}
    for name in results:
        crawls = results[name]["crawls"]
        first, again = crawls["first"], crawls["recrawl"]
        articles_ratio = ratio(again["article_requests"], first["article_requests"])
        bytes_ratio = ratio(again["body_bytes"], first["body_bytes"])
        wire_ratio = ratio(again["scrapy_response_bytes"], first["scrapy_response_bytes"])
        requests_ratio = ratio(again["requests"], first["requests"])
        time_ratio = ratio(again["wall_s"], first["wall_s"])
        article_goal = (articles_ratio is not None and articles_ratio < ARTICLE_REQUEST_GOAL) if name == "b" else None
        bytes_goal = bytes_ratio is not None and bytes_ratio < BYTES_GOAL
        goals[name] = {
            "article_requests_ratio": articles_ratio,
            "body_bytes_ratio": bytes_ratio,
            "scrapy_bytes_ratio": wire_ratio,
            "requests_ratio": requests_ratio,
            "wall_time_ratio": time_ratio,
            "article_requests_goal_met": article_goal,
            "body_bytes_goal_met": bytes_goal,
        }
        article_note = (
            f"goal < {ARTICLE_REQUEST_GOAL:.0%}: {'PASS' if article_goal else 'MISS'}"
            if name == "b"
            else "(no goal: 30% of the posts have no lastmod)"
        )
        print(
            f"  scenario {name}: article requests {again['article_requests']}/{first['article_requests']} = "
            f"{percent(articles_ratio)} {article_note}"
        )
        print(
            f"  scenario {name}: body bytes {percent(bytes_ratio)} goal < {BYTES_GOAL:.0%}: "
            f"{'PASS' if bytes_goal else 'MISS'}; Scrapy response bytes {percent(wire_ratio)}; "
            f"all requests {percent(requests_ratio)}; wall time {percent(time_ratio)}"
        )

    print()
    for name in results:
        for key in [k for k in results[name]["crawls"] if k != "first"]:
            crawl_result = results[name]["crawls"][key]
            print(f"scenario {name}, {labels[key]}: requests by kind (status: count; body bytes)")
            for kind, statuses in crawl_result["by_kind"].items():
                counts = ", ".join(f"{s}: {n}" for s, n in statuses.items())
                print(f"  {kind:<9} {counts}; {crawl_result['body_bytes_by_kind'][kind]:,} B")
            print("  requests that are not an article answered 304:")
            for kind, entries in crawl_result["unexpected"].items():
                shown = entries if len(entries) <= 40 else [*entries[:40], f"... {len(entries) - 40} more"]
                print(f"    {kind} ({len(entries)}): " + "; ".join(shown))

    print()
    print(
        f"projection to the live site: {args.live_posts:,} posts, polite crawl at {args.live_rate} pages/s "
        f"(DOWNLOAD_DELAY 2 s, one request at a time); every request sent costs one slot, a 304 too,"
    )
    print(
        "a post skipped by its sitemap lastmod none. Scaled from the replica by kind: articles (and the first "
        "crawl's listing pages, 10 posts a page) by posts; robots.txt, the sitemap index, the pages/categories "
        f"sitemaps and the re-crawl's listings as measured; posts sitemaps = posts / {SITEMAP_SIZE}. The share "
        "of live posts with a sitemap lastmod is unknown: both scenarios are shown. Posts in no sitemap are "
        "re-read when the revisit plan finds them due (at least every 30 days), not on every run; their share "
        "is the replica's "
        f"({results['a']['articles_in_no_sitemap'] / results['a']['articles']:.1%}), also unknown live. "
        "Where neither a lastmod nor the feed ordered by modification vouches for a post, the revisit plan decides."
    )
    projection: dict[str, Any] = {}
    for name, label in (("a", "~70% with lastmod (a)"), ("b", "100% with lastmod (b)")):
        crawls = results[name]["crawls"]
        p = project(crawls["first"], crawls["recrawl"], results[name]["articles"], args.live_posts, args.live_rate)
        projection[name] = p
        print(
            f"  {label:<22} first crawl {p['first_requests']:>6,} requests = {p['first_hours']:5.1f} h; "
            f"re-crawl {p['recrawl_requests']:>6,} requests = {p['recrawl_hours']:5.2f} h "
            f"({p['recrawl_hours'] * 60:.0f} min)"
        )
    print(f"(replica page sizes are not the live site's, so bytes are not projected; benchmark took {total:.0f} s)")

    report = {
        "command": [sys.executable, *sys.argv],
        "articles": args.articles,
        "concurrency": args.concurrency,
        "with_change": args.with_change,
        "scenarios": results,
        "ratios": goals,
        "goals": {"article_requests_ratio_b": ARTICLE_REQUEST_GOAL, "body_bytes_ratio": BYTES_GOAL},
        "projection": {"live_posts": args.live_posts, "pages_per_second": args.live_rate, **projection},
        "benchmark_s": round(total, 1),
    }
    print()
    print(json.dumps(report, ensure_ascii=False, separators=(",", ":")))
    return 0 if all(c["exit"] == 0 for r in results.values() for c in r["crawls"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
