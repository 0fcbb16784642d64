"""The performance gate: end-to-end figures of one run, each against its target in ``targets.toml``.

1. crawl the replica (``[crawl] articles``) on 127.0.0.1 with politeness off: minutes, pages/s, peak RSS,
   archive size;
2. per-page processing on the crawl's own path (:meth:`CrawlPath.process_page`: completeness check,
   extract with the links to follow, rebase, segment, batched store) beside ``trafilatura.extract`` on the
   same pages, in the same run: the ratio;
3. ``itp6crawl reindex`` of that archive from its WARC file: minutes, pages/s;
4. search p95 (1-3 words, snippets) on that archive;
5. ``itp6crawl export`` (JSON lines) of that archive: rows/s.

Prints one table and exits 1 when a figure misses its target (``make bench`` runs it last).

    python benchmarks/gate.py                    # the sizes of targets.toml (20,000 articles: ~15 minutes)
    python benchmarks/gate.py --articles 1000    # a quick look (targets scaled by size where they are times)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import datetime
from pathlib import Path

import trafilatura

from itp6crawl import ingest
from itp6crawl import settings as crawl_settings
from itp6crawl.concept_terms import concept_tokens
from itp6crawl.export import export
from itp6crawl.extract import decode_html
from itp6crawl.extract.encoding import content_type_charset
from itp6crawl.items import PageItem
from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search
from itp6crawl.store import Archive
from itp6crawl.store.reports import table_counts
from itp6crawl.text import default_segmenter
from itp6crawl.urls import CANONICAL_SITE

TARGETS = Path(__file__).with_name("targets.toml")
WORDS = ["血小板", "激素", "艾曲泊帕", "复查", "儿童", "脾切除", "丙种球蛋白", "出血", "医生", "指南", "IgG1", "妊娠"]


def peak_children_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def crawl(site_size: int, work: Path) -> dict:
    site = build_site(n_articles=site_size)
    db = work / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        command = [
            sys.executable, "-m", "itp6crawl", "crawl", "--site", server.base_url, "--db", str(db), "--local",
            "--log-level", "WARNING", "-s", "ITP6_PROGRESS=off",
        ]  # fmt: skip
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        requests = len(server.request_log)
    if result.returncode != 0:
        raise SystemExit(f"the crawl failed:\n{result.stderr[-3000:]}")
    return {
        "db": db,
        "minutes": seconds / 60,
        "pages_per_s": requests / seconds,
        "peak_rss_mib": peak_children_mib(),
        "archive_mib": sum(p.stat().st_size for p in db.parent.glob("itp6.db*")) / 2**20,
        "articles": table_counts(db)["articles"],
    }


class CrawlPath:
    """The crawl's per-page path, in one process, on one archive: the ingest core the crawl's pipelines
    hand each page to, not a copy of what it does, with the crawl's defaults (``ITP6_COMMIT_SECONDS``, the
    canonical site)."""

    def __init__(self, archive: Archive) -> None:
        self.batch = ingest.Batch(archive, crawl_settings.ITP6_COMMIT_SECONDS)

    def process_page(self, body: bytes, url: str, fetched_at: datetime, headers: dict[str, str]) -> PageItem:
        """The crawl's per-page path for an article page fetched whole (HTTP 200), as with
        ``ITP6_WORKERS=0``: :func:`itp6crawl.ingest.read` (the completeness check, then
        :func:`~itp6crawl.reading.read_page`: extract with the links to follow, rebase, segment), then
        :func:`itp6crawl.ingest.record` in batched transactions, as StorePipeline does. Only handing the
        links to the spider is left out: what it does with them is Scrapy's work."""
        item = PageItem(url=url, request_url=url, status=200, fetched_at=fetched_at, headers=headers, body=body)
        item.charset = content_type_charset(item.header("Content-Type"))
        ingest.read(item, CANONICAL_SITE)
        self.batch.begin()
        self.batch.record(item, run_id=None, canonical_site=CANONICAL_SITE)
        if self.batch.due:
            self.batch.commit()
        if item.failure:
            raise SystemExit(f"the crawl's path did not archive {url}: {item.failure}")
        return item

    def close(self) -> None:
        """Commit the last batch, as the crawl does when it ends."""
        self.batch.commit()


def processing(pages: int, work: Path) -> dict:
    """The crawl's per-page path (:meth:`CrawlPath.process_page`) and ``trafilatura.extract`` on the same
    decoded pages, alternating page by page; the last commit is timed with the last page."""
    site = build_site(n_articles=pages, seed=7)
    rendered = [(spec.url(CANONICAL_SITE), site.render(spec.path, CANONICAL_SITE)) for spec in site.articles]
    default_segmenter().tokens("血小板")  # the dictionary loads once, outside the timing
    concept_tokens("血小板")  # ... and so do the vocabulary's names, as in a crawl (once a process)
    ours, theirs = [], []
    with Archive.open(work / "processing.db") as archive:
        path = CrawlPath(archive)
        for url, (_status, headers, body) in rendered:
            start = time.perf_counter()
            path.process_page(body, url, site.now, headers)
            ours.append(time.perf_counter() - start)
            text = decode_html(body)
            start = time.perf_counter()
            trafilatura.extract(text, url=url)
            theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        path.close()
        ours[-1] += time.perf_counter() - start
    return {"ms_per_page": statistics.fmean(ours) * 1000, "trafilatura_ms": statistics.fmean(theirs) * 1000}


def reindex(db: Path) -> dict:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "itp6crawl", "reindex", "--db", str(db)], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"reindex failed:\n{result.stderr[-3000:]}")
    articles = table_counts(db)["articles"]
    return {"minutes": seconds / 60, "pages_per_s": articles / seconds}


def search_p95(db: Path, per_shape: int = 40) -> dict:
    rng = random.Random(0)
    queries = [" ".join(rng.sample(WORDS, n)) for n in (1, 2, 3) for _ in range(per_shape)]
    for query in queries[:10]:
        search(db, query, limit=10)  # warm
    timings = []
    for query in queries:
        start = time.perf_counter()
        search(db, query, limit=10)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {"p95_ms": timings[round(0.95 * (len(timings) - 1))], "p50_ms": timings[len(timings) // 2]}


def export_rate(db: Path, work: Path) -> dict:
    start = time.perf_counter()
    result = export(db, work / "export")
    seconds = time.perf_counter() - start
    rows = sum(file.rows for file in result.files)
    return {"rows_per_s": rows / seconds, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, help="replica size to crawl (default: targets.toml)")
    parser.add_argument("--targets", type=Path, default=TARGETS)
    args = parser.parse_args(argv)
    targets = tomllib.loads(args.targets.read_text(encoding="utf-8"))
    size = args.articles or targets["crawl"]["articles"]
    scale = size / targets["crawl"]["articles"]  # time targets scale with the size of a quick run
    print("command: " + shlex.join(["python", "benchmarks/gate.py", *(sys.argv[1:] if argv is None else argv)]))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"crawling {size:,} replica articles ...", file=sys.stderr, flush=True)
        crawled = crawl(size, work)
        print("per-page processing ...", file=sys.stderr, flush=True)
        processed = processing(targets["processing"]["pages"], work)
        print("reindex ...", file=sys.stderr, flush=True)
        reindexed = reindex(crawled["db"])
        print("search ...", file=sys.stderr, flush=True)
        searched = search_p95(crawled["db"])
        print("export ...", file=sys.stderr, flush=True)
        exported = export_rate(crawled["db"], work)
    ratio = processed["ms_per_page"] / processed["trafilatura_ms"]
    rows = [
        # (figure, measured, shown, target shown, met)
        ("crawl: minutes", f"{crawled['minutes']:.1f}", f"<= {targets['crawl']['max_minutes'] * scale:.1f}",
         crawled["minutes"] <= targets["crawl"]["max_minutes"] * scale),
        ("crawl: pages/s", f"{crawled['pages_per_s']:.0f}", "", True),
        ("crawl: peak RSS MiB", f"{crawled['peak_rss_mib']:.0f}", f"<= {targets['crawl']['max_peak_rss_mib']}",
         crawled["peak_rss_mib"] <= targets["crawl"]["max_peak_rss_mib"]),
        ("crawl: archive MiB", f"{crawled['archive_mib']:.0f}", "", True),
        ("processing: ms/page (the crawl's path)", f"{processed['ms_per_page']:.1f}", "", True),
        ("processing: trafilatura.extract ms/page", f"{processed['trafilatura_ms']:.1f}", "", True),
        ("processing: ratio to trafilatura", f"{ratio:.2f}",
         f"<= {targets['processing']['max_ratio_to_trafilatura']}",
         ratio <= targets["processing"]["max_ratio_to_trafilatura"]),
        ("reindex: minutes", f"{reindexed['minutes']:.1f}", f"<= {targets['reindex']['max_minutes'] * scale:.1f}",
         reindexed["minutes"] <= targets["reindex"]["max_minutes"] * scale),
        ("reindex: pages/s", f"{reindexed['pages_per_s']:.0f}", "", True),
        ("search: p50 ms (1-3 words)", f"{searched['p50_ms']:.1f}", "", True),
        ("search: p95 ms (1-3 words)", f"{searched['p95_ms']:.1f}", f"<= {targets['search']['max_p95_ms']}",
         searched["p95_ms"] <= targets["search"]["max_p95_ms"]),
        ("export: rows/s", f"{exported['rows_per_s']:.0f}", f">= {targets['export']['min_rows_per_s']}",
         exported["rows_per_s"] >= targets["export"]["min_rows_per_s"]),
    ]  # fmt: skip
    print(f"\n{crawled['articles']:,} articles crawled from the replica on 127.0.0.1\n")
    print(f"| {'figure':<44} | {'measured':>9} | {'target':>9} |    |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|----|")
    for figure, measured, target, met in rows:
        print(f"| {figure:<44} | {measured:>9} | {target:>9} | {'ok' if met else 'NO'} |")
    missed = [figure for figure, _, target, met in rows if target and not met]
    figures = {"crawl": crawled | {"db": None}, "processing": processed, "reindex": reindexed,
               "search": searched, "export": exported, "missed": missed}  # fmt: skip
    print("\n" + json.dumps(figures, default=float, separators=(",", ":")))
    if missed:
        print(f"\nMISSED: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
