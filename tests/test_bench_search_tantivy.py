"""benchmarks/search_tantivy.py: tantivy is fed the terms FTS5 indexes, and our parsed queries count the same
matches there as in the archive (the benchmark compares the exact totals; a translation error would show as
a mismatch that is the benchmark's own fault)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import search_tantivy

from itp6crawl.query import parse
from itp6crawl.search import search

TRICKY = "CD4+CD25+ 10^9/L TPO-RA researches Haematologica 1μg/kg IFN-γ β2 itp6病友网 Café naïve under_score 艾曲泊帕"


def fts5_terms(texts: list[str]) -> list[list[str]]:
    """The terms FTS5 itself makes of each text with the archive's tokenizer, in order."""
    with sqlite3.connect(":memory:") as connection:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
        connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        connection.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts, 1))
        found: dict[int, list[tuple[int, str]]] = {}
        for doc, offset, term in connection.execute("SELECT doc, offset, term FROM v"):
            found.setdefault(doc, []).append((offset, term))
    return [[term for _, term in sorted(found.get(doc, []))] for doc in range(1, len(texts) + 1)]


def test_terms_are_fts5s_own(replica_archive):
    with sqlite3.connect(replica_archive) as connection:
        texts = [
            text
            for row in connection.execute("SELECT title_seg, body_seg, search_extra FROM articles LIMIT 8")
            for text in row
        ]
    texts.append(TRICKY)
    assert [search_tantivy.fts_terms(text) for text in texts] == fts5_terms(texts)


QUERIES = [
    "血小板",
    "艾曲泊帕 激素",
    "TPO-RA",
    "CD4+CD25+",
    "10^9/L",
    '"血小板 减少"',
    "艾曲泊帕的副作用",
    "激素 -儿童",
    "脾切除 NOT 利妥昔单抗",
    "艾曲泊帕 OR 海曲泊帕",
    "(地塞米松 OR 泼尼松) 儿童",
    "title:艾曲泊帕",
    "艾曲*",
    "eltrombopag",
]


def test_our_queries_count_the_same_matches_in_tantivy(replica_archive):
    pytest.importorskip("tantivy")
    side = search_tantivy.TantivySide(search_tantivy.build_index(replica_archive))
    with sqlite3.connect(replica_archive) as connection:
        category, tag, author = connection.execute(
            "SELECT json_extract(categories, '$[0]'), json_extract(tags, '$[0]'), credit FROM articles"
            " WHERE tags <> '[]' LIMIT 1"
        ).fetchone()
    totals = []
    for query in QUERIES:
        for filters in ({}, {"category": category}, {"tag": tag.upper()}, {"author": author}):
            ours = search(replica_archive, query, limit=10, **filters)
            ids, count = side.search(parse(query).match, limit=10, **filters)
            assert (query, filters, count) == (query, filters, ours.total)
            assert len(ids) == min(10, count)
            totals.append(count)
    assert len(set(totals)) > 5  # the queries and filters tell articles apart: equal totals mean something
