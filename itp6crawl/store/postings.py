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

**Positions.** For phrases: ``counts`` (how many times the token stands in each article, uint8, uint16
or uint32) and ``positions`` (each place, ``offset << COLUMN_BITS | column`` with the column's index in
``articles_fts``, see :mod:`itp6crawl.store.toplists`; ascending within each article, uint16 or uint32),
aligned with ``ids``; NULL in a block whose positions are unknown (its phrases are then left to FTS5). A
phrase of frequent words is found from them in a few array operations
(:func:`itp6crawl.postings_rank.phrase_postings`), where FTS5 checks the positions of every article holding
all its words, then ranks every match.

**Freshness.** The postings are built and refreshed with the top lists, in the same transaction, from the
same figures, so the changes recorded since the last refresh (:mod:`itp6crawl.store.toplists`) are the
changes since the postings too: a search merges them in (:meth:`Postings.merged`).

Plain ``sqlite3`` and numpy only (no sqlite-utils on the search path).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

BLOCK_ARTICLES = 4096  # articles a block holds on average: a change rewrites a few tens of kilobytes per token
FREQUENCY_SCALE = 2  # weighted counts are multiples of 0.5 (toplists.FREQUENCY_STEP): stored times two
PLACE_LIMIT = 2**31  # places are below it: a phrase moves them on by a few, never into the article's id

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_postings ("
    " term TEXT NOT NULL, block INTEGER NOT NULL, ids BLOB NOT NULL, frequencies BLOB NOT NULL,"
    " sizes BLOB NOT NULL, PRIMARY KEY (term, block))",
)
# Migration 0016: the positions, after the columns a search of words reads (they are never read for it).
POSITIONS_SCHEMA = tuple(f"ALTER TABLE search_postings ADD COLUMN {column} BLOB" for column in ("counts", "positions"))


@dataclass(frozen=True, slots=True)
class Postings:
    """The articles holding a token: ``ids`` ascending, the weighted count of the token in each times two
    (``doubled``: whole numbers) and each article's size in tokens over all columns (``sizes``); for a
    phrase's words, how many times the token stands in each article (``counts``) and where (``positions``,
    each article's ascending, one after another), or None when not read or not known. Arrays of unsigned
    integers as stored (read without a copy or a conversion: a search converts only the entries it scores)."""

    ids: np.ndarray  # uint32
    doubled: np.ndarray  # uint16 or uint32
    sizes: np.ndarray  # uint16 or uint32
    counts: np.ndarray | None = None  # uint8, uint16 or uint32
    positions: np.ndarray | None = None  # uint16 or uint32: offset << toplists.COLUMN_BITS | column

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def frequencies(self) -> np.ndarray:
        """The weighted counts (float64, multiples of 0.5)."""
        return self.doubled / float(FREQUENCY_SCALE)

    def merged(
        self,
        changed: np.ndarray,
        now: Mapping[int, tuple[float, int]],
        now_positions: Mapping[int, Sequence[int]] | None = None,
    ) -> Postings:
        """These postings with the ``changed`` articles (ids ascending) dropped and ``now`` (the changed
        articles that hold the token now: id -> (weighted count, size)) added: a few lookups and one copy
        of each array, however long the postings. The positions follow when these postings have them and
        ``now_positions`` gives those of the articles added (id -> positions); otherwise they are unknown."""
        if not len(changed) and not now:
            return self
        ids, doubled, sizes = self.ids, self.doubled, self.sizes
        counts, positions = (self.counts, self.positions) if now_positions is not None else (None, None)
        if len(changed) and len(ids):
            changed = np.asarray(changed, dtype=np.uint32)
            at = np.minimum(np.searchsorted(ids, changed), len(ids) - 1)
            gone = at[ids[at] == changed]
            if len(gone):  # one mask for every column, the places by their articles' counts
                kept = np.ones(len(ids), dtype=bool)
                kept[gone] = False
                ids, doubled, sizes = ids[kept], doubled[kept], sizes[kept]
                if counts is not None and positions is not None:
                    positions = positions[np.repeat(kept, counts)]
                    counts = counts[kept]
        if now:
            added = sorted(now.items())
            new_ids = np.array([article for article, _ in added], dtype=np.uint32)
            new_doubled = np.array([round(entry[0] * FREQUENCY_SCALE) for _, entry in added], dtype=np.uint32)
            new_sizes = np.array([entry[1] for _, entry in added], dtype=np.uint32)
            at = np.searchsorted(ids, new_ids)
            if counts is not None and positions is not None and now_positions is not None:
                counts, positions = _inserted_places(counts, positions, at, [now_positions[a] for a, _ in added])
            ids = np.insert(ids, at, new_ids)
            doubled = np.insert(_wide_enough(doubled, new_doubled), at, new_doubled)
            sizes = np.insert(_wide_enough(sizes, new_sizes), at, new_sizes)
        return Postings(ids, doubled, sizes, counts, positions)


def _inserted_places(
    counts: np.ndarray, positions: np.ndarray, at: np.ndarray, added: list[Sequence[int]]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``counts`` and ``positions`` with the places of articles ``added`` before the articles ``at``; unknown
    (None, None) when one is beyond ``PLACE_LIMIT`` (an article of half a billion tokens)."""
    placed = [np.sort(np.asarray(each, dtype=np.uint32)) for each in added]
    new_counts = np.array([len(each) for each in placed], dtype=np.uint32)
    new_positions = np.concatenate(placed) if placed else np.array([], dtype=np.uint32)
    if len(new_positions) and new_positions.max() >= PLACE_LIMIT:
        return None, None
    starts = np.r_[0, np.cumsum(counts, dtype=np.int64)][at]
    positions = np.insert(_wide_enough(positions, new_positions), np.repeat(starts, new_counts), new_positions)
    return np.insert(_wide_enough(counts, new_counts), at, new_counts), positions


def _wide_enough(values: np.ndarray, more: np.ndarray) -> np.ndarray:
    """``values`` in a type that holds ``more`` too (uint16 postings gaining a count or size of 2**16 or more)."""
    if values.dtype.itemsize < 4 and len(more) and more.max() >= 2 ** (8 * values.dtype.itemsize):
        return values.astype(np.uint32)
    return values


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
    counts: np.ndarray | None = None,
    positions: np.ndarray | None = None,
) -> None:
    """Store a token's postings (``ids`` ascending), one row per block, with their positions when known;
    the caller deleted the old ones."""
    blocks = ids >> shift
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]]) if len(ids) else np.array([], dtype=np.int64)
    bounds = [*starts.tolist(), len(ids)]
    ends = np.r_[0, np.cumsum(counts, dtype=np.int64)] if counts is not None else None
    rows = []
    for start, end in pairwise(bounds):
        packed = _packed(ids[start:end], frequencies[start:end], sizes[start:end])
        placed: tuple[bytes | None, bytes | None] = (None, None)
        if counts is not None and positions is not None and ends is not None:
            placed = _packed_positions(counts[start:end], positions[ends[start] : ends[end]])
        rows.append((term, int(blocks[start]), *packed, *placed))
    connection.executemany(
        "INSERT INTO search_postings (term, block, ids, frequencies, sizes, counts, positions)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def fold_token(
    connection: sqlite3.Connection,
    term: str,
    shift: int,
    changed: Iterable[int],
    now: Mapping[int, tuple[float, int]],
    now_positions: Mapping[int, Sequence[int]] | None = None,
) -> None:
    """Rewrite the blocks of a token's postings that the ``changed`` articles fall in: those articles dropped,
    ``now`` (the changed articles holding the token now: id -> (weighted count, size)) added, with their
    positions (``now_positions``) where the block has positions."""
    changed_ids = np.array(sorted(set(changed) | set(now)), dtype=np.int64)
    for block in sorted(set((changed_ids >> shift).tolist())):
        row = connection.execute(
            "SELECT ids, frequencies, sizes, counts, positions FROM search_postings WHERE term = ? AND block = ?",
            (term, block),
        ).fetchone()
        empty = np.array([], dtype=np.uint32)
        old = _unpacked(*row) if row else Postings(empty, empty, empty, empty, empty)
        in_block = changed_ids[(changed_ids >> shift) == block]
        now_here = {article: now[article] for article in in_block.tolist() if article in now}
        placed = None if now_positions is None else {article: now_positions[article] for article in now_here}
        new = old.merged(in_block, now_here, placed)
        connection.execute("DELETE FROM search_postings WHERE term = ? AND block = ?", (term, block))
        # one block, or none if empty
        write_token(connection, term, new.ids, new.frequencies, new.sizes, shift, new.counts, new.positions)


def read_tokens(
    connection: sqlite3.Connection, terms: list[str], with_positions: Iterable[str] = ()
) -> dict[str, Postings]:
    """The stored postings of ``terms`` (those with none are absent), with their positions for the terms
    ``with_positions`` (None when a block has none)."""
    placed = set(with_positions)
    found: dict[str, Postings] = {}
    for wanted, positions in ((sorted(set(terms) - placed), False), (sorted(set(terms) & placed), True)):
        if not wanted:
            continue
        columns = "ids, frequencies, sizes" + (", counts, positions" if positions else "")
        blocks: dict[str, list[tuple[bytes, ...]]] = {}
        for term, *blobs in connection.execute(
            f"SELECT term, {columns} FROM search_postings WHERE term IN ({', '.join('?' * len(wanted))})"
            " ORDER BY term, block",
            wanted,
        ):
            blocks.setdefault(term, []).append(tuple(blobs))
        found.update({term: _joined(parts) for term, parts in blocks.items()})
    return found


def _joined(parts: list[tuple[bytes, ...]]) -> Postings:
    """One token's blocks as one array each (each block read without a copy, then one copy of each column);
    positions only when every block has them."""
    if any(None in part for part in parts):
        parts = [part[:3] for part in parts]
    pieces = [_unpacked(*part) for part in parts]
    if len(pieces) == 1:
        return pieces[0]
    names = Postings.__slots__[: len(parts[0])]
    return Postings(*(np.concatenate([getattr(piece, name) for piece in pieces]) for name in names))


def _packed(ids: np.ndarray, frequencies: np.ndarray, sizes: np.ndarray) -> tuple[bytes, bytes, bytes]:
    doubled = np.rint(frequencies * FREQUENCY_SCALE)
    return (
        ids.astype("<u4").tobytes(),
        doubled.astype(_narrowest(doubled)).tobytes(),
        sizes.astype(_narrowest(sizes)).tobytes(),
    )


def _packed_positions(counts: np.ndarray, positions: np.ndarray) -> tuple[bytes, bytes]:
    narrowest_count = "<u1" if not len(counts) or counts.max() < 2**8 else _narrowest(counts)
    return counts.astype(narrowest_count).tobytes(), positions.astype(_narrowest(positions)).tobytes()


def _narrowest(values: np.ndarray) -> str:
    return "<u2" if not len(values) or values.max() < 2**16 else "<u4"


def _unpacked(
    ids: bytes, frequencies: bytes, sizes: bytes, counts: bytes | None = None, positions: bytes | None = None
) -> Postings:
    articles = len(ids) // 4
    columns = [np.frombuffer(blob, dtype=_width(len(blob), articles)) for blob in (ids, frequencies, sizes)]
    if counts is None or positions is None:
        return Postings(*columns)
    placed = np.frombuffer(counts, dtype=_width(len(counts), articles))
    total = int(placed.sum(dtype=np.int64))
    return Postings(*columns, placed, np.frombuffer(positions, dtype=_width(len(positions), total)))


def _width(length: int, values: int) -> str:
    """The type of ``values`` values stored in ``length`` bytes: one, two or four bytes each."""
    return {1: "<u1", 2: "<u2"}.get(length // values if values else 4, "<u4")
