"""Near-duplicate detection: which articles of an export repeat an earlier one (a repost with a line added
or cut), by MinHash over the segmented body's shingles. ``export`` marks them ``dup_of``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Callable
from typing import Any

from .store.datasets import ArticleFilter

# Near-duplicates: MinHash of the body's 5-token shingles (segmented words); two articles whose estimated
# Jaccard similarity reaches the threshold are near-duplicates (a repost with a line added or cut).
DUP_THRESHOLD = 0.8
DUP_SHINGLE = 5
DUP_PERMUTATIONS = 128


def near_duplicates(
    connection: Any, articles: ArticleFilter, progress: Callable[[str, int, int], None] | None = None
) -> dict[int, int]:
    """``{article id: id of the earliest article it nearly duplicates}`` among the exported articles.

    Articles are read oldest first; each is compared with the ones before it, so a repost points at the
    original, and a chain of reposts at its first. MinHash signatures (datasketch) are banded as
    datasketch's LSH bands them for ``DUP_THRESHOLD``; the bands and signatures go into a private
    temporary SQLite database, not into memory, so a large export's memory stays flat. A candidate from
    a shared band counts only when the two signatures agree on at least ``DUP_THRESHOLD`` of their
    permutations (the estimated Jaccard similarity)."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    bands = MinHashLSH(threshold=DUP_THRESHOLD, num_perm=DUP_PERMUTATIONS).hashranges  # datasketch's (b, r)
    permutations = MinHash(num_perm=DUP_PERMUTATIONS, seed=1, scheme="affine32").permutations  # once
    needed = DUP_THRESHOLD * DUP_PERMUTATIONS
    index = sqlite3.connect("")  # "": a temporary database on disk, deleted when closed
    index.execute("CREATE TABLE bands (band INTEGER, key BLOB, article_id INTEGER)")
    index.execute("CREATE INDEX bands_by_key ON bands (band, key)")
    index.execute("CREATE TABLE signatures (article_id INTEGER PRIMARY KEY, hashvalues BLOB)")
    dup_of: dict[int, int] = {}
    condition = articles.condition(connection)
    total = connection.execute(f"SELECT count(*) FROM articles WHERE {condition}", articles.params).fetchone()[0]
    rows = connection.execute(
        f"SELECT id, body_seg FROM articles WHERE {condition} ORDER BY published_at, id", articles.params
    )
    try:
        for done, (article_id, body_seg) in enumerate(rows, 1):
            shingles = shingle_hashes((body_seg or "").split())
            if not shingles:
                continue
            signature = MinHash(
                num_perm=DUP_PERMUTATIONS, seed=1, hashfunc=_as_is, permutations=permutations, scheme="affine32"
            )
            signature.update_batch(shingles)
            values = signature.hashvalues.astype(np.uint32)
            keys = [(band, _band_key(values[start:end].tobytes())) for band, (start, end) in enumerate(bands)]
            candidates = {
                row[0]
                for band, key in keys
                for row in index.execute("SELECT article_id FROM bands WHERE band = ? AND key = ?", (band, key))
            }
            marks = ",".join("?" * len(candidates))
            similar = [
                other
                for other, blob in index.execute(
                    f"SELECT article_id, hashvalues FROM signatures WHERE article_id IN ({marks})", sorted(candidates)
                )
                if np.count_nonzero(np.frombuffer(blob, dtype=np.uint32) == values) >= needed
            ]
            if similar:
                first = min(similar, key=lambda other: (other in dup_of, other))
                dup_of[article_id] = dup_of.get(first, first)
            index.executemany("INSERT INTO bands VALUES (?, ?, ?)", [(band, key, article_id) for band, key in keys])
            index.execute("INSERT INTO signatures VALUES (?, ?)", (article_id, values.tobytes()))
            if progress is not None and done % 5000 == 0:
                progress("near-duplicates", done, total)
    finally:
        index.close()
    return dup_of


def _band_key(band: bytes) -> bytes:
    return hashlib.blake2b(band, digest_size=8).digest()


def _as_is(value: int) -> int:
    return value


def shingle_hashes(tokens: list[str]) -> list[int]:
    """32-bit hashes of the distinct ``DUP_SHINGLE``-token shingles: CRC-32 per token, combined over each
    window with numpy (deterministic, unlike ``hash()``; datasketch's SHA-1 of every joined shingle took
    most of an export's time)."""
    import numpy as np

    if not tokens:
        return []
    distinct = {token: zlib.crc32(token.encode()) for token in set(tokens)}
    hashes = np.fromiter(map(distinct.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    windows = max(1, len(tokens) - DUP_SHINGLE + 1)
    combined = np.zeros(windows, dtype=np.uint64)
    for offset in range(min(DUP_SHINGLE, len(tokens))):
        combined = (combined * np.uint64(1_000_003) + hashes[offset : offset + windows]) & np.uint64(0xFFFFFFFF)
    return np.unique(combined).tolist()
