"""One search's view of the postings: counts and rankings of FTS5 expressions without FTS5 reading and
scoring every match (see :mod:`itp6crawl.store.postings` and :mod:`itp6crawl.postings_rank`).

A search asks several questions of the same tokens (does the query find a few articles? does a correction?
which are the best ten?); the view reads each token's postings once and answers them all, in the search's
snapshot of the archive. Frequent tokens come from their postings, phrases of several frequent tokens from
their places (:func:`itp6crawl.postings_rank.phrase_postings`); rare tokens and phrases holding one from
FTS5 itself (their matches with their own scores, each one term of bm25's sum) when they are in at most
``ASK_FTS5_UP_TO`` articles. Anything else is left to FTS5 (None).
"""

from __future__ import annotations

import re
import sqlite3
import sys
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from .match_tree import Node, Token, parse_match, scored_as_whole_matches, tokens_of
from .store.datasets import LABEL_VALUE, NOT_LIVE, label_ids
from .store.readonly import matches_up_to
from .store.toplists import (
    BM25,
    IndexStats,
    index_stats,
    index_tokenizer,
    postings_are_usable,
    term_articles,
    token_postings,
)
from .text import porter_stem

if TYPE_CHECKING:  # numpy is imported when a search first needs it (see WORTH_IMPORTING_NUMPY)
    import numpy as np

    from .postings_rank import Held, Matched, Ranked, Scored
    from .store.postings import Postings

# unicode61's tokens: runs of letters, digits and private-use characters (the marks of joined and concept
# tokens, see itp6crawl.text and itp6crawl.concept_terms); anything else cuts them
_PIECE = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff\U000f0000-\U0010ffff])+")

# A phrase without postings (a rare word, a phrase of several) is asked of FTS5 when it is in at most this
# many articles: scoring them costs about a millisecond a thousand.
ASK_FTS5_UP_TO = 2000

# Importing numpy takes about 80 ms, what FTS5 takes to count and rank some 50,000 postings: a process that
# has not imported it yet (a search from the shell) answers from FTS5 unless its words hold more postings.
WORTH_IMPORTING_NUMPY = 50_000


class PostingsSearch:
    """Counts and rankings from the postings, for one connection in one snapshot."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._held: dict[str, Held | None] = {}  # phrase -> what is known of it (None: too common to ask)
        self._stats: IndexStats | None = None
        self._usable: bool | None = None
        self._porter = "porter" in (index_tokenizer(connection) or "")
        self._matches: dict[str, tuple[Node, dict[str, Held], Matched] | None] = {}

    def count(self, match: str) -> int | None:
        """How many rows of the index the expression matches, or None when the postings cannot tell."""
        known = self._matched(match)
        return None if known is None else len(known[2].ids)

    def count_up_to(self, match: str, at_most: int) -> int:
        """How many rows the expression matches, counting up to ``at_most``. FTS5 stops at ``at_most`` when
        the matches are many, but reads every posting list to the end when an AND finds few or none, and
        checks the positions of every article holding a phrase's words: one word is asked of FTS5, anything
        more of the postings (FTS5 when they cannot tell)."""
        tree = parse_match(match)
        one_word = isinstance(tree, Token) and len(self._index_terms(tree.text) or ()) <= 1
        if tree is not None and not one_word and (counted := self.count(match)) is not None:
            return min(counted, at_most)
        return matches_up_to(self.connection, match, at_most)

    def rank(self, match: str, labels: Mapping[str, object], all_live: bool) -> Ranked | None:
        """Every match that is live and carries the ``labels`` (filter name -> value: category, tag, author;
        the parameters of :func:`~itp6crawl.store.datasets.label_ids`), with FTS5's rank; or None."""
        known = self._matched(match)
        if known is None or self._stats is None:
            return None
        import numpy as np

        from .postings_rank import rank

        tree, held, matched = known
        kept = None
        for name in LABEL_VALUE:
            if name in labels:
                ids = self._ids(f"SELECT group_concat(article_id) FROM ({label_ids(name)})", labels, ascending=True)
                kept = ids if kept is None else np.intersect1d(kept, ids, assume_unique=True)
        dropped = None if all_live else self._ids(f"SELECT group_concat(id) FROM articles WHERE {NOT_LIVE}", {})
        return rank(tree, held, self._stats.rows, self._stats.avgdl, kept=kept, dropped=dropped, matched=matched)

    def _matched(self, match: str) -> tuple[Node, dict[str, Held], Matched] | None:
        """The expression's tree, what is known of its phrases and its matches (each found once a search)."""
        if match not in self._matches:
            tree = parse_match(match)
            if tree is not None and not scored_as_whole_matches(tree):
                tree = None  # a shape FTS5 scores its own way (see scored_as_whole_matches)
            held = self._phrases(tree) if tree is not None and self._worth_it(tree) else None
            if tree is None or held is None:
                self._matches[match] = None
            else:
                from .postings_rank import match as match_postings

                self._matches[match] = (tree, held, match_postings(tree, held))
        return self._matches[match]

    def _worth_it(self, tree: Node) -> bool:
        """Whether the archive's postings can answer, and answering from them is worth importing numpy when
        this process has not yet (``WORTH_IMPORTING_NUMPY``)."""
        if self._usable is None:
            self._usable = postings_are_usable(self.connection)
            self._stats = index_stats(self.connection) if self._usable else None
            self._usable = self._usable and self._stats is not None
        if not self._usable:
            return False
        if "numpy" in sys.modules:
            return True
        terms = [term for token in tokens_of(tree) for term in (self._index_terms(token.text) or ())]
        return sum(term_articles(self.connection, terms).values()) >= WORTH_IMPORTING_NUMPY

    def _index_terms(self, text: str) -> list[str] | None:
        """The index terms FTS5 makes of a phrase, in order (``血小板``: 血小板; ``10^9/l 出血``: 10, 9, l,
        出血; ``1μg/kg``: 1μg, kg; English stemmed as the index stems it), or None when what unicode61 makes of
        it is not certain (a character it would fold or strip of a diacritic, a mark or symbol outside ASCII)
        or it makes nothing."""
        if not all(char.isascii() or _kept_whole(char) for char in text):
            return None
        pieces = _PIECE.findall(text.lower())
        return [porter_stem(piece) if self._porter else piece for piece in pieces] or None

    def _phrases(self, tree: Node) -> dict[str, Held] | None:
        """What is known of each phrase of the expression, or None when one is too common to ask FTS5."""
        phrases = sorted({token.text for token in tokens_of(tree)} - set(self._held))
        terms = {text: found for text in phrases if (found := self._index_terms(text)) is not None}
        placed = {term for found in terms.values() if len(found) > 1 for term in found}  # a phrase's words
        wanted = {term for found in terms.values() for term in found}
        stored = token_postings(self.connection, wanted, placed) if wanted else {}
        if stored is None:
            self._usable = False
            return None
        for text in phrases:
            found = terms.get(text, [])
            if len(found) == 1 and found[0] in stored:
                self._held[text] = stored[found[0]]
            elif len(found) > 1 and all(_with_positions(stored.get(term)) for term in found):
                from .postings_rank import phrase_postings

                self._held[text] = phrase_postings([stored[term] for term in found])
            else:
                self._held[text] = self._asked(text)
        known = {token.text: self._held[token.text] for token in tokens_of(tree)}
        if any(held is None for held in known.values()):
            return None
        return known  # type: ignore[return-value]

    def _asked(self, text: str) -> Scored | None:
        """A phrase's matches with their scores, from FTS5, when it is in at most ``ASK_FTS5_UP_TO`` articles."""
        import numpy as np

        from .postings_rank import Scored

        phrase = '"' + text.replace('"', '""') + '"'
        if matches_up_to(self.connection, phrase, ASK_FTS5_UP_TO + 1) > ASK_FTS5_UP_TO:
            return None  # counted up to the limit and no further: scoring them all would cost more
        rows = self.connection.execute(f"SELECT rowid, -{BM25} FROM articles_fts WHERE articles_fts MATCH ?", (phrase,))
        found = np.array(rows.fetchall(), dtype=np.float64).reshape(-1, 2)
        order = np.argsort(found[:, 0], kind="stable")
        return Scored(found[order, 0].astype(np.uint32), found[order, 1])

    def _ids(self, query: str, params: Mapping[str, object], ascending: bool = False) -> np.ndarray:
        """The ids a ``group_concat`` query lists (one string: a row per id costs 20 times more), ascending
        (sorted here unless the query reads them in that order: one range of a key)."""
        import numpy as np

        listed = self.connection.execute(query, params).fetchone()[0]
        if not listed:
            return np.array([], dtype=np.uint32)
        ids = np.fromstring(listed, dtype=np.int64, sep=",").astype(np.uint32)
        return ids if ascending else np.unique(ids)


def _with_positions(postings: Postings | None) -> bool:
    """Whether a phrase's word has postings with its positions (a word's positions are unknown when the
    postings were built before them, or a block was written without them)."""
    return postings is not None and postings.positions is not None


@lru_cache(maxsize=4096)
def _kept_whole(char: str) -> bool:
    """Whether unicode61 reads a character outside ASCII as itself: a letter or digit that neither case
    folding nor the removal of diacritics changes (Han characters, μ; not µ, which it folds to μ, nor é),
    or a private-use character (the marks of joined and concept tokens)."""
    if _PRIVATE_USE.fullmatch(char):
        return True
    return char.isalnum() and char.casefold() == char and unicodedata.normalize("NFD", char) == char


_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff\U000f0000-\U0010ffff]")
