"""Top lists after a crawl that changes a few articles: search latency between the change and the refresh,
and the refresh's time (``python benchmarks/refresh_bench.py ARCHIVE``; ARCHIVE is copied, never written).

Changes are real edits of the search columns (a common word appended to the body of the N articles with
the lowest ids), made with plain SQL as sqlite-utils or a crawl would: the triggers fire as in a crawl.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from itp6crawl.search import search
from itp6crawl.store import Archive

QUERIES = {"1 word": ["血小板", "治疗", "激素", "患者"], "2 words": ["血小板 治疗", "激素 治疗", "患者 医生"]}


def latency(db: Path, runs: int) -> dict[str, float]:
    """Median and worst of ``runs`` warm searches per query, by shape (ms)."""
    figures: dict[str, float] = {}
    for shape, queries in QUERIES.items():
        times = []
        for query in queries:
            search(db, query, limit=10)  # warm
            for _ in range(runs):
                start = time.perf_counter()
                search(db, query, limit=10)
                times.append((time.perf_counter() - start) * 1000)
        figures[f"{shape} p50"] = round(statistics.median(times), 2)
        figures[f"{shape} max"] = round(max(times), 2)
    return figures


def change(db: Path, articles: int) -> None:
    with Archive.open(db) as archive, archive.db.conn:
        ids = [row[0] for row in archive.db.execute("SELECT id FROM articles ORDER BY id LIMIT ?", [articles])]
        for article_id in ids:
            archive.db.execute(
                "UPDATE articles SET body_seg = body_seg || ' 血小板 治疗 激素' WHERE id = ?", [article_id]
            )


def refresh(db: Path) -> str:
    with Archive.open(db) as archive:
        start = time.perf_counter()
        built = archive.refresh_search()
        seconds = time.perf_counter() - start
    how = "incremental" if getattr(built, "incremental", False) else "full"
    return f"{seconds * 1000:.0f} ms ({how}, {built.tokens if built else 0} lists)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "itp6.db"
        shutil.copy(args.archive, db)
        print(f"first refresh (upgrade, lists built if stale): {refresh(db)}")
        print(f"fresh lists: {latency(db, args.runs)}")
        for articles in (1, 10):
            change(db, articles)
            print(f"{articles} article(s) changed, before the refresh: {latency(db, args.runs)}")
            print(f"refresh after {articles} changed article(s): {refresh(db)}")
            print(f"after the refresh: {latency(db, args.runs)}")


if __name__ == "__main__":
    main()
