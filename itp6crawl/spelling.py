"""Misspellings forgiven, never forced: the words a mistyped query term may have meant ("did you mean …").

Pure (no SQL): what counts as "the same word, mistyped", and the ranking of what a term may have meant.
The words themselves come from a :class:`Lexicon`: the archive's indexed words
(:mod:`itp6crawl.store.lexicon`, with their article counts) and the names of the bilingual vocabulary
(:func:`vocabulary_lexicon`). A term may have meant a word when:

- **Chinese**, the same sound: each character read toneless, in any of its readings (泊 is pō or bó, so
  艾曲波帕 and 艾曲泊怕 both sound like 艾曲泊帕, and 罗米斯亭 like 罗米司亭); or a sound the same but for the
  initials and finals people confuse typing pinyin (zh/z, ch/c, sh/s, n/l, -ang/-an, -eng/-en, -ing/-in);
  or, for terms of 4+ characters, one character different whatever its sound (利妥昔单坑 -> 利妥昔单抗:
  kēng is not kàng, but a drug name of five characters with one wrong is still recognisable).
- **English** (letters only, 3+), within one edit -- a letter added, dropped, changed, or two neighbours
  swapped (optimal string alignment, rapidfuzz's ``OSA``) -- or two edits from nine letters on:
  ``eltrombopg`` -> eltrombopag, ``romiplostin`` -> romiplostim. ``eltrombo`` is three letters short of
  eltrombopag and suggests nothing: a prefix is typed as ``eltrombo*``, not corrected.

Sound keys. Readings come from pypinyin's table of single characters (every reading of every character,
commonest first), loaded from its data file without importing pypinyin itself: importing the package also
loads its phrase dictionary, 0.55 s on our machines, against 0.05 s for the table. It is loaded on the first
sound key, so a search that needs no suggestion never reads it. A word's keys are every combination of its
characters' readings (folded for the fuzzy key), at most :data:`MAX_SOUNDS` of them, commonest readings
first; a term and a word sound alike when they share a key.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from itertools import product
from pathlib import Path
from typing import Literal, Protocol

MAX_SOUNDS = 16  # sound keys kept per word: 2 readings for each of 4 characters
MAX_SUGGESTIONS = 3
LONG_WORD_LETTERS = 9  # an English term of this many letters may be two edits away, a shorter one one
MIN_HAN_CHARS = 2  # Chinese words and terms looked at: 2+ characters (one character has too many homophones)
MIN_ONE_CHARACTER_APART = 4  # "one character different" from 4 characters on
MIN_LATIN_LETTERS = 3  # English words and terms looked at: 3+ letters

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTERS = "a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff"  # text.py's letters, without digits
HAN_WORD = re.compile(rf"[{_HAN}]{{{MIN_HAN_CHARS},}}")
LATIN_WORD = re.compile(rf"[{_LETTERS}]{{{MIN_LATIN_LETTERS},}}")
HAN_RUN = re.compile(rf"[{_HAN}]+")
LATIN_RUN = re.compile(rf"[{_LETTERS}]+")

How = Literal["sound", "similar sound", "one character", "spelling"]
_TIER: dict[How, int] = {"sound": 0, "spelling": 0, "similar sound": 1, "one character": 2}


@dataclass(frozen=True, slots=True)
class Entry:
    """A word a lexicon knows: the live articles holding it (0 when unknown) and whether the vocabulary names it."""

    word: str
    articles: int
    vocabulary: bool = False


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A word ``typed`` may have meant, and why: ``how`` it is alike, ``edits`` for English (0 for Chinese)."""

    typed: str
    word: str
    how: How
    articles: int
    vocabulary: bool
    edits: int = 0

    def rank(self) -> tuple[int, int, bool, int, str]:
        """Closest first (same sound or fewest edits), then vocabulary names, then words in more articles."""
        return (_TIER[self.how], self.edits, not self.vocabulary, -self.articles, self.word)


@dataclass(frozen=True, slots=True)
class Correction:
    """What one typed word may have meant: ``texts``, the word with each suggestion in place of the stretch
    it corrects (what to search besides the word as typed), best first, and the ``suggestions`` themselves."""

    typed: str
    texts: list[str]
    suggestions: list[Suggestion]


class Lexicon(Protocol):
    """Where suggestions come from: lookups that each return a small superset of the words that match."""

    def sounding(self, keys: Collection[str]) -> Iterable[Entry]:
        """Chinese words with one of these fuzzy sound keys."""
        ...

    def sharing_ends(self, word: str) -> Iterable[Entry]:
        """Chinese words that start with the first two characters of ``word`` or end with its last two."""
        ...

    def spelled_near(self, term: str, limit: int) -> Iterable[Entry]:
        """English words within ``limit`` edits of ``term``."""
        ...

    def entry(self, word: str) -> Entry | None:
        """The word itself, if known."""
        ...


# --------------------------------------------------------------------------- sounds


def _pinyin_table_file() -> Path | None:
    """pypinyin's table of single-character readings (``pinyin_dict.json``), found without importing it."""
    spec = find_spec("pypinyin")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (path := Path(folder) / "pinyin_dict.json").is_file():
            return path
    return None


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[int, str]:
    """Code point -> readings with tones, commonest first (``泊``: ``pō,bó,pò``)."""
    path = _pinyin_table_file()
    if path is None:  # a pypinyin laid out otherwise: its own import (slower, the same table)
        from pypinyin.pinyin_dict import pinyin_dict

        return dict(pinyin_dict)
    return {int(point): readings for point, readings in json.loads(path.read_text(encoding="utf-8")).items()}


def toneless(reading: str) -> str:
    """A reading without its tone mark, ü written v as pinyin input does (``lǜ`` -> ``lv``)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fuzzy(syllable: str) -> str:
    """The syllable with the distinctions people blur when typing pinyin folded away: zh/z, ch/c, sh/s,
    n/l, and -ng/-n after a, e and i (``zhang`` -> ``zan``, ``ning`` -> ``lin``; ``ong`` has no -on)."""
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    elif syllable.startswith("n") and len(syllable) > 1 and syllable != "ng":
        syllable = "l" + syllable[1:]
    if (syllable.endswith(("ang", "eng", "ing")) and len(syllable) > 3) or syllable in ("ang", "eng"):
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=65536)
def syllables(char: str, folded: bool = True) -> tuple[str, ...]:
    """The readings of one character, toneless (``folded``: fuzzy too), commonest first, each once; a
    character without a reading is its own syllable."""
    readings = _pinyin_table().get(ord(char))
    if not readings:
        return (char,)
    plain = (toneless(reading) for reading in readings.split(","))
    return tuple(dict.fromkeys(fuzzy(reading) if folded else reading for reading in plain))


def sound_keys(word: str, folded: bool = True) -> list[str]:
    """The sound keys of a Chinese word: its syllables joined by spaces, for each combination of its
    characters' readings (commonest first, at most :data:`MAX_SOUNDS`); ``folded`` makes them fuzzy."""
    keys: list[str] = []
    for combination in product(*(syllables(char, folded) for char in word)):
        keys.append(" ".join(combination))
        if len(keys) == MAX_SOUNDS:
            break
    return keys


# --------------------------------------------------------------------------- spelling


def edit_limit(term: str) -> int:
    """Edits allowed from an English term: one, two from :data:`LONG_WORD_LETTERS` letters on."""
    return 2 if len(term) >= LONG_WORD_LETTERS else 1


def edits(one: str, other: str, limit: int) -> int:
    """Edits between two words (insert, delete, substitute, swap two neighbours), or ``limit + 1`` when
    there are more than ``limit``."""
    from rapidfuzz.distance import OSA

    return OSA.distance(one, other, score_cutoff=limit)


def within_edits(term: str, words: Sequence[str], limit: int) -> list[str]:
    """The ``words`` within ``limit`` edits of ``term``, compared in C (thousands in a millisecond)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    return [word for word, _, _ in process.extract(term, words, scorer=OSA.distance, score_cutoff=limit, limit=None)]


def one_character_apart(one: str, other: str) -> bool:
    """Same length, exactly one character different."""
    return len(one) == len(other) and sum(a != b for a, b in zip(one, other, strict=True)) == 1


# --------------------------------------------------------------------------- suggestions


def suggestions(term: str, lexicon: Lexicon, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The words ``term`` (normalised: case-folded, Simplified) may have meant, best first, at most ``limit``.

    A Chinese term (Han characters only, 2+) is matched by sound, then similar sound, then (4+ characters)
    one character; an English one (letters only, 3+) by spelling. The term itself is never suggested, nor
    a word no live article holds unless the vocabulary names it (the caller checks that it finds something)."""
    found: dict[str, Suggestion] = {}
    for suggestion in _matches(term, lexicon):
        if suggestion.word == term or not (suggestion.articles or suggestion.vocabulary):
            continue
        kept = found.get(suggestion.word)
        if kept is None or suggestion.rank() < kept.rank():
            found[suggestion.word] = suggestion
    return sorted(found.values(), key=Suggestion.rank)[:limit]


def _matches(term: str, lexicon: Lexicon) -> Iterator[Suggestion]:
    if HAN_WORD.fullmatch(term):
        keys = sound_keys(term)
        exact = set(sound_keys(term, folded=False))
        for entry in lexicon.sounding(keys):
            if len(entry.word) != len(term):
                continue
            if not set(sound_keys(entry.word)) & set(keys):
                continue  # the lexicon's lookup is a superset
            how: How = "sound" if set(sound_keys(entry.word, folded=False)) & exact else "similar sound"
            yield Suggestion(term, entry.word, how, entry.articles, entry.vocabulary)
        if len(term) >= MIN_ONE_CHARACTER_APART:
            for entry in lexicon.sharing_ends(term):
                if one_character_apart(entry.word, term):
                    yield Suggestion(term, entry.word, "one character", entry.articles, entry.vocabulary)
    elif LATIN_WORD.fullmatch(term):
        limit = edit_limit(term)
        for entry in lexicon.spelled_near(term, limit):
            if (distance := edits(term, entry.word, limit)) <= limit:
                yield Suggestion(term, entry.word, "spelling", entry.articles, entry.vocabulary, distance)


class MemoryLexicon:
    """A lexicon held in memory: the vocabulary's names, or words given by a test."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._entries = {entry.word: entry for entry in entries}
        self._by_sound: dict[str, list[Entry]] = {}
        self._han_long: list[Entry] = []
        for entry in self._entries.values():
            if HAN_WORD.fullmatch(entry.word):
                for key in sound_keys(entry.word):
                    self._by_sound.setdefault(key, []).append(entry)
                if len(entry.word) >= MIN_ONE_CHARACTER_APART:
                    self._han_long.append(entry)
        self._latin = [entry for entry in self._entries.values() if LATIN_WORD.fullmatch(entry.word)]

    def sounding(self, keys: Collection[str]) -> list[Entry]:
        return [entry for key in dict.fromkeys(keys) for entry in self._by_sound.get(key, [])]

    def sharing_ends(self, word: str) -> list[Entry]:
        return [entry for entry in self._han_long if entry.word[:2] == word[:2] or entry.word[-2:] == word[-2:]]

    def spelled_near(self, term: str, limit: int) -> list[Entry]:
        near = within_edits(term, [entry.word for entry in self._latin], limit)
        return [self._entries[word] for word in near]

    def entry(self, word: str) -> Entry | None:
        return self._entries.get(word)


class MergedLexicon:
    """Several lexicons as one: a word's article count is the largest any gives, its vocabulary mark any's."""

    def __init__(self, *lexicons: Lexicon) -> None:
        self.lexicons = lexicons

    @staticmethod
    def _merge(found: Iterable[Entry]) -> list[Entry]:
        merged: dict[str, Entry] = {}
        for entry in found:
            if (kept := merged.get(entry.word)) is not None:
                entry = Entry(entry.word, max(entry.articles, kept.articles), entry.vocabulary or kept.vocabulary)
            merged[entry.word] = entry
        return list(merged.values())

    def _complete(self, found: list[Entry]) -> list[Entry]:
        """Each entry with what the other lexicons know of the same word (a vocabulary name's count)."""
        return self._merge(
            other for entry in found for other in [entry, *filter(None, (x.entry(entry.word) for x in self.lexicons))]
        )

    def sounding(self, keys: Collection[str]) -> list[Entry]:
        return self._complete([entry for lexicon in self.lexicons for entry in lexicon.sounding(keys)])

    def sharing_ends(self, word: str) -> list[Entry]:
        return self._complete([entry for lexicon in self.lexicons for entry in lexicon.sharing_ends(word)])

    def spelled_near(self, term: str, limit: int) -> list[Entry]:
        return self._complete([entry for lexicon in self.lexicons for entry in lexicon.spelled_near(term, limit)])

    def entry(self, word: str) -> Entry | None:
        found = self._merge(filter(None, (lexicon.entry(word) for lexicon in self.lexicons)))
        return found[0] if found else None


@lru_cache(maxsize=1)
def vocabulary_lexicon() -> MemoryLexicon:
    """The vocabulary's names that suggestions can be (Han only of 2+ characters, letters only of 3+),
    normalised as queries are (case-folded, Simplified)."""
    from .text import normalise
    from .vocabulary import load_vocabulary

    names = {normalise(term) for concept in load_vocabulary() for term in concept.terms}
    return MemoryLexicon(
        Entry(name, 0, True) for name in names if HAN_WORD.fullmatch(name) or LATIN_WORD.fullmatch(name)
    )


# --------------------------------------------------------------------------- words of the index and of queries


def indexable_words(*segmented: str | None) -> set[str]:
    """The distinct words of segmented columns (tokens joined by spaces) that suggestions can be: Han words
    of 2+ characters and English words of 3+ letters (no digits, no joined terms such as ``cd4+cd25+``)."""
    tokens: set[str] = set()
    for text in segmented:
        if text:
            tokens.update(text.split())
    return {token for token in tokens if _indexable(token)}


@lru_cache(maxsize=262144)
def _indexable(token: str) -> bool:
    return bool(HAN_WORD.fullmatch(token) or LATIN_WORD.fullmatch(token))


_QUERY_WORD = re.compile(
    r'(?P<open>\()|(?P<close>\))|(?P<phrase>["“”「『][^"“”」』]*["“”」』]?)|(?P<word>[^\s()"“”「『]+)'
)


def typed_words(query_text: str) -> list[str]:
    """The words of a query (its language: :mod:`itp6crawl.query`) that a misspelling may hide in, as
    typed: wanted bare words, ``title:`` dropped. Phrases (quoted: exact), prefixes (``eltrombo*``),
    excluded words and groups (``-word``, ``NOT word``, ``-(a b)``) and the operators are left out."""
    words: list[str] = []
    excluded_groups: list[bool] = []  # for each open bracket, whether its group is excluded
    pending = False  # a NOT or a lone - before the next word or group
    for found in _QUERY_WORD.finditer(query_text):
        if found["open"]:
            excluded_groups.append(pending or (bool(excluded_groups) and excluded_groups[-1]))
            pending = False
            continue
        if found["close"]:
            if excluded_groups:
                excluded_groups.pop()
            pending = False
            continue
        word = found["word"]
        if word is None or word in ("OR", "AND"):
            pending = pending and word is not None
            continue
        if word in ("NOT", "-", "-title:"):
            pending = True
            continue
        excluded = pending or word.startswith("-") or (bool(excluded_groups) and excluded_groups[-1])
        pending = False
        word = word.removeprefix("-").removeprefix("title:")
        if excluded or not word or word.endswith("*"):
            continue
        words.append(word)
    return words


def spans(tokens: list[str]) -> list[str]:
    """The stretches of a Han run (given as its tokens) a misspelling may be: the whole run, then each
    stretch of 2+ tokens holding a single character (a word the segmenter did not know falls apart into
    single characters: 艾曲泊怕 is 艾 曲 泊 怕), longest first."""
    run = "".join(tokens)
    found = [run]
    for length in range(len(tokens) - 1, 1, -1):
        for start in range(len(tokens) - length + 1):
            window = tokens[start : start + length]
            if any(len(token) == 1 for token in window):
                found.append("".join(window))
    return list(dict.fromkeys(found))


def term_pieces(word: str) -> list[str]:
    """The pieces of a typed word (normalised) that are matched on their own: its Han runs of 2+ characters
    and its English words of 3+ letters (``新诊断itp`` is 新诊断 and itp)."""
    return [piece for piece in re.findall(rf"[{_HAN}]+|[{_LETTERS}]+", word) if _indexable(piece)]
