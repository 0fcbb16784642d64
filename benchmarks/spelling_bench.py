#!/usr/bin/env python3
""" "Did you mean" costs: the migration that fills the word tables, and a suggestion's lookup time.

    python benchmarks/spelling_bench.py ARCHIVE.db              # a COPY: the migration is applied to it
    python benchmarks/spelling_bench.py ARCHIVE.db --latin 20000  # and English lookups among 20,000 words

On ARCHIVE (an archive before migration ``0012_search_words``; earlier migrations are applied first, untimed)
it times the migration, then :func:`~itp6crawl.store.lexicon.did_you_mean` per query (warm, ``--repeat``
times each, median and p95, in ms) over a read-only connection, as a search would call it. ``--latin N``
adds N made-up English words (3 to 14 letters) to an in-memory copy of the tables and times English
suggestions among them: the archive's own English words are few, a real archive may hold thousands.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import string
import time
from pathlib import Path

import sqlite_utils

from itp6crawl.query import parse
from itp6crawl.spelling import suggestions
from itp6crawl.store import Archive, migrations
from itp6crawl.store.lexicon import SCHEMA, ArchiveLexicon, did_you_mean
from itp6crawl.store.readonly import connect_readonly
from itp6crawl.text import default_segmenter

QUERIES = [
    "艾曲波帕", "艾曲泊怕", "罗米斯亭", "利妥昔单坑", "地赛米松", "罗米斯亭 血小板", "艾曲波帕治疗",
    "eltrombopg", "romiplostin", "haematologi", "血小板",
]  # fmt: skip


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def time_migration(path: Path) -> float:
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="0012_search_words")
    db.close()
    began = time.perf_counter()
    Archive.open(path).close()
    return time.perf_counter() - began


def time_queries(path: Path, repeat: int) -> list[dict]:
    segmenter = default_segmenter()
    segmenter.tokens("血小板")  # the dictionary loaded before timing
    rows = []
    with connect_readonly(path) as connection:
        for query in QUERIES:
            text = parse(query, segmenter).text
            found = did_you_mean(connection, text, segmenter)  # warm: pinyin table, vocabulary
            samples = []
            for _ in range(repeat):
                began = time.perf_counter()
                did_you_mean(connection, text, segmenter)
                samples.append(time.perf_counter() - began)
            p50, p95 = _percentiles(samples)
            rows.append({"query": query, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                         "did_you_mean": {c.typed: c.texts for c in found}})  # fmt: skip
    return rows


def time_latin(count: int, repeat: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    connection = sqlite3.connect(":memory:")
    for statement in SCHEMA:
        connection.execute(statement)
    made = {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 14))) for _ in range(count)}
    made |= {"eltrombopag", "romiplostim", "rituximab", "dexamethasone"}
    connection.executemany(
        "INSERT OR IGNORE INTO search_words (word, letters, articles) VALUES (?, ?, ?)",
        [(word, len(word), rng.randint(1, 500)) for word in made],
    )
    lexicon = ArchiveLexicon(connection)
    samples = []
    for _ in range(repeat):
        for typed in ("eltrombopg", "romiplostin", "ritximab", "dexametasne"):
            began = time.perf_counter()
            suggestions(typed, lexicon)
            samples.append(time.perf_counter() - began)
    p50, p95 = _percentiles(samples)
    return {"latin_words": len(made), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path, help="a copy of an archive before migration 0012 (it is migrated)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--latin", type=int, default=0, help="also time English lookups among this many words")
    args = parser.parse_args()
    print(json.dumps({"migration_s": round(time_migration(args.archive), 2)}))
    for row in time_queries(args.archive, args.repeat):
        print(json.dumps(row, ensure_ascii=False))
    if args.latin:
        print(json.dumps(time_latin(args.latin, args.repeat)))


if __name__ == "__main__":
    main()
