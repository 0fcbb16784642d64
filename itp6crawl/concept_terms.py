"""Concept tokens: each vocabulary concept named in an article, as one index token per occurrence.

A query that names a concept searches all its names (:mod:`itp6crawl.query`). As phrases, that is an OR of
up to a dozen posting lists, some of them phrases of common words ("血小板 相关 抗体"), and bm25 scores each
name on its own, so a rare name's high idf outranks the typed word in a title. The index therefore also
holds, wherever any name of a concept occurs (where its phrase would match: the same words in a row, in one
column), the concept's token: title occurrences in ``title_seg`` (they rank as title words), the others in
``search_extra``, as often as they occur. A query then asks for the concept as one word: one posting list,
a top list like any frequent word's, and one score for all its names (as a search engine scores synonyms).

The token is the concept's id between :data:`CONCEPT_MARK` s, a private-use character: unicode61 keeps it
inside a token, porter leaves it alone (it ends in a non-ASCII character), and the segmenter drops it from
every text, so no word of an article or a query can be one. An archive marks its index with the
vocabulary's hash (:func:`concept_feature`): a reader uses the tokens only when they were made from the
vocabulary it has, and searches the names as phrases otherwise.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from .records import Segments
from .text import JOINED_TERM_MARK, _joinable_stem, default_segmenter
from .vocabulary import VOCABULARY_FILE, Concept, load_vocabulary

CONCEPT_MARK = "\ue0f1"
_PIECE = re.compile(r"[^\W_]+")  # a word's pieces as unicode61 cuts them (cd4+cd25+: cd4, cd25)


def concept_token(concept: Concept) -> str:
    """The index token of ``concept``: its id, hyphens and ends as :data:`CONCEPT_MARK`."""
    return CONCEPT_MARK + concept.id.replace("-", CONCEPT_MARK) + CONCEPT_MARK


@lru_cache(maxsize=1)
def concept_feature() -> str:
    """The ``search_features`` name of an index whose concept tokens come from this vocabulary."""
    digest = hashlib.sha256(VOCABULARY_FILE.read_bytes()).hexdigest()[:16]
    return f"concept_terms:{digest}"


def index_terms(column: str) -> list[str]:
    """A segmented column's words as the index's terms, in order: Latin words by their porter stems (their
    diacritics removed, as unicode61 does), others as they are; joined and concept tokens whole."""
    terms: list[str] = []
    for word in column.split():
        terms.extend(_word_terms(word))
    return terms


@lru_cache(maxsize=262144)
def _word_terms(word: str) -> tuple[str, ...]:
    """One word's index terms (see :func:`index_terms`); an article's words repeat across articles, so a
    save looks most of them up instead of cutting and stemming them again."""
    if JOINED_TERM_MARK in word or CONCEPT_MARK in word:
        return ()  # not a word of the text: never part of a name
    return tuple(stem if (stem := _joinable_stem(piece)) is not None else piece for piece in _PIECE.findall(word))


@lru_cache(maxsize=1)
def _names_by_first_term() -> dict[str, dict[int, dict[tuple[str, ...], frozenset[str]]]]:
    """Every name of every concept as its index terms, by its first term and its length, with the tokens of
    the concepts it names (a text's word is looked up once for each length of name it may start)."""
    found: dict[str, dict[int, dict[tuple[str, ...], set[str]]]] = {}
    for concept in load_vocabulary():
        token = concept_token(concept)
        for terms in _name_terms(concept):
            if terms:
                found.setdefault(terms[0], {}).setdefault(len(terms), {}).setdefault(terms, set()).add(token)
    return {
        first: {
            length: {name: frozenset(tokens) for name, tokens in named.items()} for length, named in lengths.items()
        }
        for first, lengths in found.items()
    }


def names_a_concept(column: str, concept: Concept) -> bool:
    """Whether the words of ``column`` (a segmented text) are, as the index's terms, exactly a name of
    ``concept``: where they occur, the index holds the concept's token."""
    terms = tuple(index_terms(column))
    return bool(terms) and terms in _name_terms(concept)


@lru_cache(maxsize=512)
def _name_terms(concept: Concept) -> frozenset[tuple[str, ...]]:
    """The index terms of each name of one concept (a query segments only its own concept's names)."""
    segmenter = default_segmenter()
    return frozenset(tuple(index_terms(" ".join(segmenter.tokens(name)))) for name in concept.terms)


def concept_tokens(column: str) -> list[str]:
    """The concept tokens of a segmented column: one for each place a name of a concept starts (its
    terms in a row, as its phrase matches), once per concept at a place."""
    names = _names_by_first_term()
    terms = index_terms(column)
    tokens: list[str] = []
    for start, term in enumerate(terms):
        if (by_length := names.get(term)) is None:
            continue  # most words start no name: a lookup, nothing more
        at_start: set[str] = set()
        for length, named in by_length.items():
            at_start.update(named.get(tuple(terms[start : start + length]), ()))
        tokens.extend(sorted(at_start))
    return tokens


def with_concept_terms(segments: Segments) -> Segments:
    """``segments`` with the concept tokens of its names: the title's in ``title_seg``, the body's and the
    metadata's in ``search_extra``. Columns that already hold concept tokens are left as they are."""
    if CONCEPT_MARK in segments.title_seg or CONCEPT_MARK in segments.search_extra:
        return segments
    title = concept_tokens(segments.title_seg)
    other = concept_tokens(segments.body_seg) + concept_tokens(segments.search_extra)
    if not title and not other:
        return segments
    return Segments(
        title_seg=" ".join([segments.title_seg, *title]) if title else segments.title_seg,
        body_seg=segments.body_seg,
        search_extra=" ".join([segments.search_extra, *other]).strip() if other else segments.search_extra,
    )
