"""Count and rank the matches of an FTS5 expression from what is known of its phrases, as FTS5 does.

The search's expressions (:mod:`itp6crawl.match_tree`) are quoted phrases joined by ``AND``, ``OR`` and
``NOT``. When their words are frequent, FTS5 reads and scores every match one at a time; the words'
postings (:mod:`itp6crawl.store.postings`: every article holding the word, with its weighted count and
size), and for a rare word or a phrase of several its matches with their scores from FTS5 (:class:`Scored`),
give the same answer with a few array operations: the matches are set operations on sorted ids, and the scores
are FTS5's bm25 (``fts5Bm25Function`` in SQLite's ``fts5_aux.c``) computed with the same floating-point
operations in the same order, so scores, order and count are FTS5's to the last bit.

Which phrases score in a match, as FTS5 scores them: a phrase counts its instances in an article when its
iterator stands on that article, which is when every node above it matches the article (an OR's branch that
does not match has moved past it, a NOT's right side never matches). So a phrase scores in the matches of
all its ancestors, and nowhere else.

Pure functions: arrays in, arrays out; no SQL here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .match_tree import Node, Operation, Token, tokens_of
from .store.postings import FREQUENCY_SCALE, Postings
from .store.toplists import COLUMN_BITS, COLUMN_MASK, COLUMN_STEPS, K1, B, idf


@dataclass(frozen=True, slots=True)
class Scored:
    """A phrase's matches (``ids`` ascending) with its own bm25 score in each, as FTS5 computed them: for
    a rare token or a phrase of several, asking FTS5 is cheap, and a phrase's score is one term of the sum."""

    ids: np.ndarray
    scores: np.ndarray


Held = Postings | Scored  # what a search knows of one phrase

_COLUMN_STEPS = np.array(COLUMN_STEPS, dtype=np.int64)  # an instance's weighted count, times FREQUENCY_SCALE


def phrase_postings(words: list[Postings]) -> Postings:
    """The postings of a phrase (its tokens in order, each with positions): the articles where the words
    stand side by side in one column, each with the phrase's weighted count (its instances, each weighted
    by its column, as FTS5 counts a phrase for bm25) and the article's size. A phrase is one term of bm25's
    sum, with its own article count for the idf, so its postings rank as a word's do.

    Each word's places are keys ``id << 32 | offset << COLUMN_BITS | column``, moved on by the words after
    it in the phrase, so that every word of one instance has the key of the phrase's last word. Each word's
    keys are ascending: the rarest word's keys are looked up in the next rarest's, what is left in the next,
    and so on (the places a build stores are below 2**31, so moving them on never carries into the id)."""
    last = len(words) - 1

    def keys(index: int) -> np.ndarray:
        word = words[index]
        assert word.counts is not None and word.positions is not None
        moved_on = (word.ids.astype(np.uint64) << np.uint64(32)) + np.uint64((last - index) << COLUMN_BITS)
        return np.repeat(moved_on, word.counts) + word.positions  # a pass over the places, and an addition

    order = sorted(range(len(words)), key=lambda index: len(words[index].positions))  # type: ignore[arg-type]
    instances = keys(order[0])
    for index in order[1:]:
        if not len(instances):
            break
        instances = instances[_holds(keys(index), instances)]
    articles = (instances >> np.uint64(32)).astype(np.uint32)
    starts = np.flatnonzero(np.r_[True, articles[1:] != articles[:-1]]) if len(articles) else articles
    columns = (instances & np.uint64(COLUMN_MASK)).astype(np.intp)
    doubled = np.add.reduceat(_COLUMN_STEPS[columns], starts) if len(starts) else np.array([], dtype=np.int64)
    ids = articles[starts]
    first = words[order[0]]
    return Postings(ids, doubled.astype(np.uint32), first.sizes[np.searchsorted(first.ids, ids)])


def matches(tree: Node, postings: Mapping[str, Held], within: np.ndarray | None = None) -> np.ndarray:
    """The ids (ascending) of the articles the expression matches (among ``within``, ids ascending, when
    given). An AND starts from its smallest operand and looks the others up among what is left, so a chain
    of common words costs lookups of its rarest word's articles, never a union or a scan of the others."""
    if isinstance(tree, Token):
        ids = postings[tree.text].ids
        return ids if within is None else within[_holds(ids, within)]
    if tree.operator == "NOT":
        left = matches(tree.operands[0], postings, within)
        return left[~_holds(matches(tree.operands[1], postings, left), left)]
    if tree.operator == "OR":
        return _union([matches(operand, postings, within) for operand in tree.operands])
    found = within
    for operand in sorted(tree.operands, key=lambda node: _size(node, postings)):
        found = matches(operand, postings, found)
        if not len(found):
            break
    assert found is not None
    return found


def _size(tree: Node, postings: Mapping[str, Held]) -> int:
    """At most how many articles the expression matches: an AND's fewest, an OR's sum, a NOT's left side."""
    if isinstance(tree, Token):
        return len(postings[tree.text].ids)
    sizes = [_size(operand, postings) for operand in tree.operands]
    return {"AND": min(sizes), "OR": sum(sizes), "NOT": sizes[0]}[tree.operator]


def _union(parts: list[np.ndarray]) -> np.ndarray:
    """The union of ascending id arrays, ascending: a stable sort of sorted runs is a merge (timsort)."""
    joined = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        joined = np.sort(joined, kind="stable")
    return joined[np.r_[True, joined[1:] != joined[:-1]]] if len(joined) else joined


@dataclass(frozen=True, slots=True)
class Ranked:
    """A search's matches (ids ascending) and each one's rank (FTS5's: minus the bm25 score, lower first)."""

    ids: np.ndarray
    ranks: np.ndarray

    def best(self, count: int) -> list[tuple[int, float]]:
        """The ``count`` best (id, rank) pairs, as ``ORDER BY rank, rowid`` gives them."""
        if count <= 0 or not len(self.ids):
            return []
        if count < len(self.ids):  # every article ranking at or above the count-th rank, ties and all
            cut = np.partition(self.ranks, count - 1)[count - 1]
            chosen = np.flatnonzero(self.ranks <= cut)
        else:
            chosen = np.arange(len(self.ids))
        order = chosen[np.lexsort((self.ids[chosen], self.ranks[chosen]))][:count]
        return list(zip(self.ids[order].tolist(), self.ranks[order].tolist(), strict=True))


@dataclass(frozen=True, slots=True)
class Matched:
    """The articles an expression matches (ids ascending) and, for an AND of tokens, where each token holds
    each of them (its place in the token's ids, for scoring without looking them up again)."""

    ids: np.ndarray
    places: dict[Token, np.ndarray]

    def among(self, kept: np.ndarray | None, dropped: np.ndarray | None) -> Matched:
        """The matches in ``kept`` and not in ``dropped`` (ids ascending; None: all, none)."""
        inside = np.ones(len(self.ids), dtype=bool)
        if kept is not None:
            inside &= _holds(kept, self.ids)
        if dropped is not None and len(dropped):
            inside &= ~_holds(dropped, self.ids)
        if inside.all():
            return self
        return Matched(self.ids[inside], {token: at[inside] for token, at in self.places.items()})


def match(tree: Node, postings: Mapping[str, Held]) -> Matched:
    """The expression's matches (:class:`Matched`)."""
    chain = list(tree.operands) if isinstance(tree, Operation) and tree.operator == "AND" else [tree]
    if all(isinstance(operand, Token) for operand in chain):  # the usual query: words that must all be there
        return Matched(*_all_of(chain, postings))  # type: ignore[arg-type]
    return Matched(matches(tree, postings), {})


def rank(
    tree: Node,
    postings: Mapping[str, Held],
    rows: int,
    avgdl: float,
    *,
    kept: np.ndarray | None = None,
    dropped: np.ndarray | None = None,
    matched: Matched | None = None,
) -> Ranked:
    """The expression's matches among ``kept`` and not in ``dropped`` (ids ascending; None: all, none),
    each with FTS5's bm25 rank (``matched``: the expression's :func:`match`, when known).

    ``rows`` and ``avgdl`` are the index's (FTS5's averages record); each token's idf counts every article
    holding it, as FTS5 counts them."""
    chosen = (matched or match(tree, postings)).among(kept, dropped)
    found = chosen.ids
    if chosen.places:
        scoring = [(token, slice(None), chosen.places[token]) for token in tokens_of(tree)]
    else:
        scoring = [
            (token, where, np.searchsorted(postings[token.text].ids, found[where]))
            for token, where in _scoring(tree, found, postings)
        ]
    scores = np.zeros(len(found), dtype=np.float64)
    for token, where, at in sorted(scoring, key=lambda entry: entry[0].index):
        held = postings[token.text]
        if isinstance(held, Scored):
            scores[where] += held.scores[at]
            continue
        weight = idf(rows, len(held.ids))
        frequencies = held.doubled[at] / float(FREQUENCY_SCALE)  # exact: halves of whole numbers
        sizes = held.sizes[at].astype(np.float64)
        # fts5Bm25Function's sum, phrase by phrase: idf * (f (k1 + 1)) / (f + k1 (1 - b + b D / avgdl))
        scores[where] += weight * ((frequencies * (K1 + 1.0)) / (frequencies + K1 * (1 - B + B * sizes / avgdl)))
    return Ranked(found, -1.0 * scores)


def _all_of(tokens: list[Token], postings: Mapping[str, Held]) -> tuple[np.ndarray, dict[Token, np.ndarray]]:
    """The articles holding every token, and where each token holds each of them (its place in the token's
    ids): the rarest first, each other token looked up once among what is left."""
    ordered = sorted(tokens, key=lambda token: len(postings[token.text].ids))
    first = ordered[0]
    found = postings[first.text].ids
    places: dict[Token, np.ndarray] = {first: np.arange(len(found))}
    for token in ordered[1:]:
        ids = postings[token.text].ids
        at = np.minimum(np.searchsorted(ids, found), max(len(ids) - 1, 0))
        held = ids[at] == found if len(ids) else np.zeros(len(found), dtype=bool)
        if not held.all():
            found, at = found[held], at[held]
            places = {known: where[held] for known, where in places.items()}
        places[token] = at
    return found, places


def _scoring(tree: Node, found: np.ndarray, postings: Mapping[str, Held]) -> list[tuple[Token, np.ndarray]]:
    """Each token with where in ``found`` it scores (a boolean mask): the matches of every node above it."""
    pairs: list[tuple[Token, np.ndarray]] = []

    def walk(node: Node, reached: np.ndarray) -> None:
        if isinstance(node, Token):
            pairs.append((node, reached & _holds(postings[node.text].ids, found)))
            return
        if node.operator == "NOT":
            walk(node.operands[0], reached)
            for token in tokens_of(node.operands[1]):
                pairs.append((token, np.zeros(len(found), dtype=bool)))
            return
        for operand in node.operands:
            if node.operator == "AND":
                walk(operand, reached)
            else:
                walk(operand, reached & _holds(matches(operand, postings, found), found))

    walk(tree, np.ones(len(found), dtype=bool))
    return pairs


def _holds(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each of ``among``, whether ``ids`` (ascending) holds it."""
    if not len(ids):
        return np.zeros(len(among), dtype=bool)
    at = np.minimum(np.searchsorted(ids, among), len(ids) - 1)
    return ids[at] == among


def _intersection(one: np.ndarray, other: np.ndarray) -> np.ndarray:
    small, large = (one, other) if len(one) <= len(other) else (other, one)
    return small[_holds(large, small)]
