#!/usr/bin/env python3
"""Per-article store cost as the archive grows: it must stay flat (indexes, no scan of a growing table).

One archive is built from replica articles (extract -> segment in worker processes, store in this one,
as ``search_bench`` builds its archives). At each size of ``--sizes`` it reports the cost of
``Archive.articles.save`` for the last ``--window`` new articles (insert, links, comments, link
resolution, FTS rows, top-list triggers) and for re-saving ``--window / 5`` stored articles with a
changed body (a new version, FTS update), in CPU time: a loaded machine inflates wall time (printed in the
JSON line) but not this. Each figure is compared with the first size's; growth beyond
``[store_scaling] max_growth`` of ``targets.toml`` exits 1.

    python benchmarks/store_scaling.py                          # 1,000, 20,000 and 100,000 (~25 min)
    python benchmarks/store_scaling.py --sizes 1000,5000        # quick
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shlex
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from replica_articles import Prepared, prepared_articles

from itp6crawl.replica import DEFAULT_NOW
from itp6crawl.store import Archive

TARGETS = Path(__file__).with_name("targets.toml")


def _ms(seconds: list[float]) -> tuple[float, float]:
    return statistics.fmean(seconds) * 1000, statistics.median(seconds) * 1000


def _timed_save(archive: Archive, prepared: Prepared, cpu: list[float], wall: list[float]) -> None:
    """Save one article; its CPU time (this process's, user + system: what a busy machine does not
    inflate) and wall time."""
    began_cpu, began_wall = time.process_time(), time.perf_counter()
    archive.articles.save(prepared.article, prepared.segments, DEFAULT_NOW)
    cpu.append(time.process_time() - began_cpu)
    wall.append(time.perf_counter() - began_wall)


def _changed(prepared: Prepared, edit: int) -> Prepared:
    """The same article with one more paragraph: a real content change."""
    article = prepared.article
    line = f"补充说明第{edit}次：复查结果已更新。"
    changed = dataclasses.replace(
        article, body_text=f"{article.body_text}\n{line}", body_html=f"{article.body_html}<p>{line}</p>"
    )
    return prepared._replace(article=changed)


def measure(sizes: list[int], window: int, seed: int, workers: int, work: Path) -> list[dict]:
    """Store up to each size; the window before it is prepared first and stored with no worker running,
    so the timings are the store's alone."""
    rng = random.Random(seed)
    total = max(sizes)
    rows: list[dict] = []
    sample: list[Prepared] = []  # stored articles, re-saved with a change at each size
    stored = 0
    with Archive.open(work / "scaling.db") as archive:
        for size in sorted(sizes):
            for prepared in prepared_articles(total, seed, workers, range(stored, size - window)):
                archive.articles.save(prepared.article, prepared.segments, DEFAULT_NOW)
                if rng.random() < 0.05:
                    sample.append(prepared)
            timed = list(prepared_articles(total, seed, workers, range(max(stored, size - window), size)))
            new_cpu: list[float] = []
            new_wall: list[float] = []
            for prepared in timed:
                _timed_save(archive, prepared, new_cpu, new_wall)
            sample.extend(timed[:: max(1, len(timed) // 20)])
            stored = size
            changed_cpu: list[float] = []
            changed_wall: list[float] = []
            for edit, prepared in enumerate(rng.sample(sample, min(len(sample), window // 5))):
                _timed_save(archive, _changed(prepared, size + edit), changed_cpu, changed_wall)
            links = archive.db.execute("SELECT count(*) FROM links").fetchone()[0]
            print(f"  measured at {size:,} articles", file=sys.stderr, flush=True)
            rows.append(
                {
                    "articles": size,
                    "links": links,
                    "new_ms": _ms(new_cpu),
                    "changed_ms": _ms(changed_cpu),
                    "new_wall_ms": _ms(new_wall),
                    "changed_wall_ms": _ms(changed_wall),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="archive sizes to measure at")
    parser.add_argument("--window", type=int, default=500, help="new articles timed before each size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="processes extracting and segmenting")
    parser.add_argument("--targets", type=Path, default=TARGETS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    max_growth = tomllib.loads(args.targets.read_text(encoding="utf-8"))["store_scaling"]["max_growth"]
    command = ["python", "benchmarks/store_scaling.py", *(sys.argv[1:] if argv is None else argv)]
    print("command: " + shlex.join(command))
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(sizes, args.window, args.seed, args.workers, Path(tmp))
    base_new, base_changed = rows[0]["new_ms"][1], rows[0]["changed_ms"][1]
    print(
        f"\nArchive.articles.save, CPU ms per article (mean / median; wall time in the JSON line);"
        f" growth: median over the {sizes[0]:,} one\n"
    )
    widths = (8, 9, 15, 6, 15, 6)
    header = ("articles", "links", "new article", "growth", "changed article", "growth")
    print("| " + " | ".join(f"{title:>{width}}" for title, width in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    missed = []
    for row in rows:
        new_growth, changed_growth = row["new_ms"][1] / base_new, row["changed_ms"][1] / base_changed
        row["growth"] = {"new": round(new_growth, 2), "changed": round(changed_growth, 2)}
        cells = (
            f"{row['articles']:,}",
            f"{row['links']:,}",
            "{:.2f} / {:.2f}".format(*row["new_ms"]),
            f"{new_growth:.2f}",
            "{:.2f} / {:.2f}".format(*row["changed_ms"]),
            f"{changed_growth:.2f}",
        )
        print("| " + " | ".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)) + " |")
        if max(new_growth, changed_growth) > max_growth:
            missed.append(row["articles"])
    print("\n" + json.dumps({"rows": rows, "max_growth": max_growth}, separators=(",", ":")))
    if missed:
        print(f"\nMISSED: per-article cost grew more than {max_growth}x by {missed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
