"""Postings: for each frequent search token (the tokens with a top list), every article holding it, with
the article's weighted count of the token and its size, as packed arrays in ``search_postings``.

FTS5 finds and scores matches one at a time: an AND of two words that are each in half of 100,000 articles
costs 11 ms to count and 120 ms to rank, whatever the LIMIT. The same figures kept as arrays answer such a
query in a few milliseconds with numpy (:mod:`itp6crawl.postings_rank`): set operations for the matches and
their exact count, FTS5's own bm25 formula for the scores (the same floating-point operations, so the same
scores to the last bit, see :mod:`itp6crawl.store.toplists`).

**Layout.** One row per token and block of article ids (``id >> shift``, the shift chosen at build time so
that a block holds a few thousand articles): ``ids`` (uint32, ascending), ``frequencies`` (the weighted
count times two, uint16 or uint32) and ``sizes`` (the article's size in tokens, uint16 or uint32), little
endian; the width is the blob's length over the count. A changed article rewrites one block per token it
held or holds, never a whole list.

**Freshness.** The postings are built and refreshed with the top lists, in the same transaction, from the
same figures, so the changes recorded since the last refresh (:mod:`itp6crawl.store.toplists`) are the
changes since the postings too: a search merges them in (:meth:`Postings.merged`).

Plain ``sqlite3`` and numpy only (no sqlite-utils on the search path).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

BLOCK_ARTICLES = 4096  # articles a block holds on average: a change rewrites a few tens of kilobytes per token
FREQUENCY_SCALE = 2  # weighted counts are multiples of 0.5 (toplists.FREQUENCY_STEP): stored times two

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_postings ("
    " term TEXT NOT NULL, block INTEGER NOT NULL, ids BLOB NOT NULL, frequencies BLOB NOT NULL,"
    " sizes BLOB NOT NULL, PRIMARY KEY (term, block))",
)


@dataclass(frozen=True, slots=True)
class Postings:
    """The articles holding a token: ``ids`` ascending, the weighted count of the token in each times two
    (``doubled``: whole numbers) and each article's size in tokens over all columns (``sizes``). Arrays of
    unsigned integers as stored (read without a copy or a conversion: a search converts only the entries
    it scores)."""

    ids: np.ndarray  # uint32
    doubled: np.ndarray  # uint16 or uint32
    sizes: np.ndarray  # uint16 or uint32

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def frequencies(self) -> np.ndarray:
        """The weighted counts (float64, multiples of 0.5)."""
        return self.doubled / float(FREQUENCY_SCALE)

    def merged(self, changed: np.ndarray, now: Mapping[int, tuple[float, int]]) -> Postings:
        """These postings with the ``changed`` articles (ids ascending) dropped and ``now`` (the changed
        articles that hold the token now: id -> (weighted count, size)) added: a few lookups and one copy
        of each array, however long the postings."""
        if not len(changed) and not now:
            return self
        ids, doubled, sizes = self.ids, self.doubled, self.sizes
        if len(changed) and len(ids):
            changed = np.asarray(changed, dtype=np.uint32)
            at = np.minimum(np.searchsorted(ids, changed), len(ids) - 1)
            gone = at[ids[at] == changed]
            ids, doubled, sizes = np.delete(ids, gone), np.delete(doubled, gone), np.delete(sizes, gone)
        if now:
            added = sorted(now.items())
            new_ids = np.array([article for article, _ in added], dtype=np.uint32)
            new_doubled = np.array([round(entry[0] * FREQUENCY_SCALE) for _, entry in added], dtype=np.uint32)
            new_sizes = np.array([entry[1] for _, entry in added], dtype=np.uint32)
            at = np.searchsorted(ids, new_ids)
            ids = np.insert(ids, at, new_ids)
            doubled = np.insert(_wide_enough(doubled, new_doubled), at, new_doubled)
            sizes = np.insert(_wide_enough(sizes, new_sizes), at, new_sizes)
        return Postings(ids, doubled, sizes)


def _wide_enough(values: np.ndarray, more: np.ndarray) -> np.ndarray:
    """``values`` in a type that holds ``more`` too (uint16 postings gaining a count or size of 2**16 or more)."""
    return values.astype(np.uint32) if values.dtype.itemsize < 4 and len(more) and more.max() >= 2**16 else values


def block_shift(rows: int, largest_id: int) -> int:
    """The shift of article ids to blocks holding about ``BLOCK_ARTICLES`` articles each (ids spread evenly)."""
    blocks = max(1, math.ceil(rows / BLOCK_ARTICLES))
    return max(12, math.ceil(math.log2(max(2, (largest_id + 1) / blocks))))


def write_token(
    connection: sqlite3.Connection,
    term: str,
    ids: np.ndarray,
    frequencies: np.ndarray,
    sizes: np.ndarray,
    shift: int,
) -> None:
    """Store a token's postings (``ids`` ascending), one row per block; the caller deleted the old ones."""
    blocks = ids >> shift
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]]) if len(ids) else np.array([], dtype=np.int64)
    bounds = [*starts.tolist(), len(ids)]
    connection.executemany(
        "INSERT INTO search_postings (term, block, ids, frequencies, sizes) VALUES (?, ?, ?, ?, ?)",
        [
            (term, int(blocks[start]), *_packed(ids[start:end], frequencies[start:end], sizes[start:end]))
            for start, end in pairwise(bounds)
        ],
    )


def fold_token(
    connection: sqlite3.Connection,
    term: str,
    shift: int,
    changed: Iterable[int],
    now: Mapping[int, tuple[float, int]],
) -> None:
    """Rewrite the blocks of a token's postings that the ``changed`` articles fall in: those articles dropped,
    ``now`` (the changed articles holding the token now: id -> (weighted count, size)) added."""
    changed_ids = np.array(sorted(set(changed) | set(now)), dtype=np.int64)
    for block in sorted(set((changed_ids >> shift).tolist())):
        row = connection.execute(
            "SELECT ids, frequencies, sizes FROM search_postings WHERE term = ? AND block = ?", (term, block)
        ).fetchone()
        old = _unpacked(*row) if row else Postings(*(np.array([], dtype=np.uint32) for _ in range(3)))
        in_block = changed_ids[(changed_ids >> shift) == block]
        new = old.merged(in_block, {article: now[article] for article in in_block.tolist() if article in now})
        connection.execute("DELETE FROM search_postings WHERE term = ? AND block = ?", (term, block))
        write_token(connection, term, new.ids, new.frequencies, new.sizes, shift)  # one block, or none if empty


def read_tokens(connection: sqlite3.Connection, terms: list[str]) -> dict[str, Postings]:
    """The stored postings of ``terms`` (those with none are absent)."""
    blocks: dict[str, list[tuple[bytes, bytes, bytes]]] = {}
    marks = ", ".join("?" * len(terms))
    for term, ids, frequencies, sizes in connection.execute(
        f"SELECT term, ids, frequencies, sizes FROM search_postings WHERE term IN ({marks}) ORDER BY term, block",
        terms,
    ):
        blocks.setdefault(term, []).append((ids, frequencies, sizes))
    return {term: _joined(parts) for term, parts in blocks.items()}


def _joined(parts: list[tuple[bytes, bytes, bytes]]) -> Postings:
    """One token's blocks as one array each: the blobs joined first when they share their widths (one
    conversion, not one per block)."""
    widths = {(_width(frequencies, len(ids) // 4), _width(sizes, len(ids) // 4)) for ids, frequencies, sizes in parts}
    if len(widths) == 1:
        return _unpacked(*(b"".join(column) for column in zip(*parts, strict=True)))
    pieces = [_unpacked(*part) for part in parts]
    columns = ([getattr(piece, name).astype(np.uint32) for piece in pieces] for name in Postings.__slots__)
    return Postings(*(np.concatenate(column) for column in columns))


def _packed(ids: np.ndarray, frequencies: np.ndarray, sizes: np.ndarray) -> tuple[bytes, bytes, bytes]:
    doubled = np.rint(frequencies * FREQUENCY_SCALE)
    return (
        ids.astype("<u4").tobytes(),
        doubled.astype(_narrowest(doubled)).tobytes(),
        sizes.astype(_narrowest(sizes)).tobytes(),
    )


def _narrowest(values: np.ndarray) -> str:
    return "<u2" if not len(values) or values.max() < 2**16 else "<u4"


def _unpacked(ids: bytes, frequencies: bytes, sizes: bytes) -> Postings:
    count = len(ids) // 4
    return Postings(
        np.frombuffer(ids, dtype="<u4"),
        np.frombuffer(frequencies, dtype=_width(frequencies, count)),
        np.frombuffer(sizes, dtype=_width(sizes, count)),
    )


def _width(blob: bytes, count: int) -> str:
    return "<u2" if len(blob) == 2 * count else "<u4"
