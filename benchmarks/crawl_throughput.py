#!/usr/bin/env python3
"""Crawl throughput: serve N replica articles on 127.0.0.1, crawl them into a fresh archive, search it.

Prints pages/s, articles/s, the crawl process's peak RSS, the archive size and search latency.
Politeness is relaxed (``--local``): this measures our pipeline, not the live site's delay.

    python benchmarks/crawl_throughput.py [--articles 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search
from itp6crawl.store.reports import table_counts

QUERIES = ["艾曲泊帕", "血小板 激素", "IgG1", "CD4+CD25+", "脾切除术后", "丙种球蛋白 冲击"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="CONCURRENT_REQUESTS for the local crawl")
    args = parser.parse_args(argv)

    site = build_site(n_articles=args.articles)
    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(site) as server:
        db = Path(tmp) / "bench.db"
        command = [
            sys.executable,
            "-m",
            "itp6crawl",
            "crawl",
            "--site",
            server.base_url,
            "--db",
            str(db),
            "--local",
            "--log-level",
            "WARNING",
            "-s",
            f"CONCURRENT_REQUESTS={args.concurrency}",
            "-s",
            f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
        ]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return 1
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        pages = len(server.request_log)
        counts = table_counts(db)
        timings = []
        search(db, QUERIES[0])  # load the segmenter once
        for query in QUERIES:
            t0 = time.perf_counter()
            hits = search(db, query, limit=20)
            timings.append((query, (time.perf_counter() - t0) * 1000, len(hits)))
        size_mib = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 2**20

    print(f"replica articles      {args.articles}")
    print(f"HTTP requests         {pages} in {elapsed:.1f} s (process start included): {pages / elapsed:.0f} req/s")
    print(f"articles archived     {counts['articles']}: {counts['articles'] / elapsed:.0f} articles/s")
    print(f"links, comments       {counts['links']}, {counts['comments']}; failures {counts['failures']}")
    print(f"crawl peak RSS        {peak_mib:.0f} MiB")
    print(f"archive size          {size_mib:.1f} MiB ({size_mib * 1024 / max(counts['articles'], 1):.1f} KiB/article)")
    for query, ms, n in timings:
        print(f"search {query!r:<22} {ms:6.1f} ms  {n} hits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
