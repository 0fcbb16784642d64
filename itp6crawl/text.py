"""Chinese and English text for search: normalisation and jieba-compatible segmentation.

Index columns hold precise-mode tokens joined by spaces (FTS5's unicode61 tokenizer splits on them);
for recall, ``extra_text`` adds every dictionary word found inside a longer token (search mode and
full mode), so 血小板减少症 finds an article that wrote 原发免疫性血小板减少症. English and technical terms are never
handed to the Chinese segmenter: ``CD4+CD25+``, ``IgG1`` and ``10^9/L`` stay whole, case-folded.
Traditional characters are folded to Simplified so either spelling finds the other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import pairwise
from pathlib import Path
from typing import Any

from opencc import OpenCC

from .records import Article, Segments


def package_files() -> Traversable:
    """The files of the package this module was loaded from (a folder, or a zip such as a scrapyd egg).

    Found through this module's own loader, not by looking the name ``itp6crawl`` up on ``sys.path``
    again (``resources.files("itp6crawl")``): a process whose ``sys.path`` starts with a working
    directory that holds an ``itp6crawl/`` folder -- a checkout seen from its parent, the usual place to
    run from -- gets that folder as the package ``itp6crawl`` (an empty namespace package), while an
    editable install still loads the modules themselves from the checkout. The worker pool's fork server
    is such a process (``python -c`` puts the working directory first), and every page failed with
    FileNotFoundError on ``<cwd>/itp6crawl/data/userdict.txt``."""
    spec = __spec__
    get_reader = getattr(spec.loader, "get_resource_reader", None)
    reader = get_reader(spec.name) if get_reader is not None else None  # a folder's loader has one
    if reader is not None and hasattr(reader, "files"):
        return reader.files()
    return resources.files(spec.parent)  # a zip's loader reads resources of packages only


USER_DICTIONARY = package_files() / "data" / "userdict.txt"

# A run of Han characters, or a technical term: letters/digits joined by + - ^ / . (CD4+CD25+, 10^9/L,
# TPO-RA, 2.5mg), with trailing plus signs kept (CD4+).
_LETTER = r"0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff"  # Latin and Greek (IFN-γ, β2, μg)
LATIN_WORD = re.compile(rf"[{_LETTER}]+")  # a word of a term as the index cuts it (cd4+cd25+: cd4, cd25)
_PIECES = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    rf"|(?P<term>[{_LETTER}]+(?:[+\-^/.'_][{_LETTER}]+)*\+*)"
)


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), Traditional to Simplified, case-folded."""
    return _t2s().convert(unicodedata.normalize("NFKC", text)).casefold()


def normalise_with_origin(text: str) -> tuple[str, Sequence[int]]:
    """``text`` as :func:`normalise` folds it and, for each folded character, the index of the character
    of ``text`` it came from (non-decreasing), so that a match found folded can be shown in the original.

    Folding usually keeps the length (ＩＴＰ is itp); where NFKC or case folding change it (…… is six dots,
    ㎎ is mg, ß is ss), the characters that may change are folded one at a time."""
    folded = normalise(text)
    if len(folded) == len(text):
        return folded, range(len(text))
    pieces: list[str] = []
    origin: list[int] = []
    position = 0

    def fold_run(end: int) -> None:  # characters that fold one for one, as a whole
        run = unicodedata.normalize("NFKC", text[position:end]).casefold()
        if len(run) == end - position:
            pieces.append(run)
            origin.extend(range(position, end))
        else:  # (never seen: a guard)
            for place in range(position, end):
                piece = unicodedata.normalize("NFKC", text[place]).casefold()
                pieces.append(piece)
                origin.extend([place] * len(piece))

    for found in _MAY_CHANGE_LENGTH.finditer(text):
        place = found.start()
        fold_run(place)
        piece = unicodedata.normalize("NFKC", found[0]).casefold()
        pieces.append(piece)
        origin.extend([place] * len(piece))
        position = place + 1
    fold_run(len(text))
    joined = "".join(pieces)
    simplified = _t2s().convert(joined)
    if len(simplified) == len(joined):  # Traditional to Simplified is one character for one, as a rule
        joined = simplified
    return joined, origin


# Punctuation a Chinese text is full of (，。、“”—《》…) folds one for one, except a few (… is three dots):
# those outside ASCII, Han and these one-for-one characters are folded one at a time.
_ONE_FOR_ONE = "".join(
    char
    for block in ((0x2010, 0x2070), (0x3000, 0x3040), (0xFF01, 0xFF5F), (0xB7, 0xB8))
    for char in map(chr, range(*block))
    if len(unicodedata.normalize("NFKC", char).casefold()) == 1
)
_MAY_CHANGE_LENGTH = re.compile(rf"[^\x00-\x7f\u3400-\u4dbf\u4e00-\u9fff{re.escape(_ONE_FOR_ONE)}]")


# --------------------------------------------------------------------------- English stems
#
# The archive's index uses FTS5's ``porter unicode61`` tokenizer (migration 0008): unicode61 cuts the
# segmented columns into tokens, and every token is stemmed by Porter's algorithm as FTS5 implements it
# (on its UTF-8 bytes, any byte outside ASCII a consonant, tokens of 3 to 64 bytes; Han words are never
# changed). FTS5 stems query words the same way, so MATCH needs nothing from us; :func:`porter_stem` is
# for the places that compare a query's words with the index's terms themselves (the top lists, the
# highlights), and the tests hold it equal to FTS5's on every word they try.

_PORTER_MIN_BYTES, _PORTER_MAX_BYTES = 3, 64
_STEP2 = (  # (suffix, replacement) when the stem before the suffix has a measure above 0
    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
    ("logi", "log"), ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
    ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
    ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
)  # fmt: skip
_STEP3 = (
    ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
)  # fmt: skip
_STEP4 = (  # dropped when the stem's measure is above 1 (ion: and the stem ends in s or t)
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
    "ate", "iti", "ous", "ive", "ize",
)  # fmt: skip


def _consonants(word: str) -> list[bool]:
    """For each letter, whether it is a consonant: not a, e, i, o, u, nor a y after a consonant."""
    flags: list[bool] = []
    for letter in word:
        flags.append(not (letter in "aeiou" or (letter == "y" and bool(flags) and flags[-1])))
    return flags


def _measure(stem: str) -> int:
    """Porter's m: how many vowel-consonant sequences the stem holds."""
    flags = _consonants(stem)
    return sum(1 for before, after in pairwise(flags) if not before and after)


def _has_vowel(stem: str) -> bool:
    """FTS5's *v*: a, e, i, o, u anywhere, or y anywhere but first."""
    return any(letter in "aeiou" or (letter == "y" and place > 0) for place, letter in enumerate(stem))


def _ends_cvc(stem: str) -> bool:
    """Porter's *o: consonant, vowel, consonant at the end, the last not w, x or y."""
    return len(stem) >= 3 and stem[-1] not in "wxy" and _consonants(stem)[-3:] == [True, False, True]


def _replace_suffix(word: str, rules: Iterable[tuple[str, str]], least_measure: int) -> str:
    for suffix, replacement in rules:  # the first suffix that fits decides, its condition met or not
        if word.endswith(suffix) and len(word) > len(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if _measure(stem) >= least_measure else word
    return word


@lru_cache(maxsize=65536)
def porter_stem(token: str) -> str:
    """The term FTS5's ``porter`` tokenizer makes of one token (lower case, as unicode61 hands it over):
    ``researches`` and ``researching`` are ``research``; ``cd4``, ``igg1``, ``tpo`` and Han words stay."""
    raw = token.encode("utf-8")
    if not _PORTER_MIN_BYTES <= len(raw) <= _PORTER_MAX_BYTES:
        return token
    word = raw.decode("latin-1")  # one character per byte, as FTS5 sees it: non-ASCII bytes are consonants
    word = _step1(word)
    word = _replace_suffix(word, _STEP2, 1)
    word = _replace_suffix(word, _STEP3, 1)
    word = _step4(word)
    if word.endswith("e"):
        stem = word[:-1]
        if _measure(stem) > 1 or (_measure(stem) == 1 and not _ends_cvc(stem)):
            word = stem
    if word.endswith("ll") and _measure(word[:-1]) > 1:
        word = word[:-1]
    return word.encode("latin-1").decode("utf-8")


def _step1(word: str) -> str:
    """Plurals, -ed and -ing, and a final y after a vowel-holding stem."""
    if word.endswith("s"):
        if word.endswith("es"):
            sses, ies = len(word) > 4 and word.endswith("sses"), len(word) > 3 and word.endswith("ies")
            word = word[:-2] if sses or ies else word[:-1]
        elif not word.endswith("ss"):
            word = word[:-1]
    cut = ""
    if word.endswith("eed") and len(word) > 3:
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and len(word) > 2 and _has_vowel(word[:-2]):
        word, cut = word[:-2], "ed"
    elif word.endswith("ing") and len(word) > 3 and _has_vowel(word[:-3]):
        word, cut = word[:-3], "ing"
    if cut:
        if word.endswith(("at", "bl", "iz")) and len(word) > 2:
            word += "e"
        elif len(word) > 1 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
            word = word[:-1]
        elif _measure(word) == 1 and _ends_cvc(word):
            word += "e"
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    return word


def _step4(word: str) -> str:
    for suffix in _STEP4:
        if word.endswith(suffix) and len(word) > len(suffix):
            stem = word[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                return stem
            return word
    return word


# --------------------------------------------------------------------------- technical terms as tokens
#
# unicode61 cuts a technical term into its words (TPO-RA: tpo, ra; 10^9/L: 10, 9, l), so the query asks
# for a phrase of two or three of the archive's commonest words, read and compared position by position
# (50 ms at 100,000 articles). The index therefore also holds, for every run of 2 to MAX_JOINED_WORDS
# adjacent Latin words of a column (wherever a phrase of them would match), the run as one token: the
# words' stems joined and ended by JOINED_TERM_MARK, a private-use character. unicode61 keeps it inside a
# token (its categories L* N* Co), porter leaves a token ending in it alone (no suffix rule ends in a
# non-ASCII byte), the segmenter drops it from every text, so no word of an article or a query can be
# one. A query's technical term becomes that token (query.parse with ``joined_terms``) on archives whose
# index holds them: the same articles as the phrase, from one posting list.

JOINED_TERM_MARK = "\ue0f0"
MAX_JOINED_WORDS = 4
# A run of letters and digits (unicode61's token characters, near enough), a joined token whole.
_INDEX_WORD = re.compile(rf"(?:[^\W_]|{JOINED_TERM_MARK})+")


@lru_cache(maxsize=65536)
def _joinable_stem(word: str) -> str | None:
    """The stem unicode61 and porter make of ``word`` when it is ASCII letters and digits once its
    diacritics are removed (unicode61 removes them), else None: such a word is never joined."""
    if not word.isascii():
        word = "".join(char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))
        if not word.isascii():
            return None
    return porter_stem(word.lower())


def _index_words(column: str) -> list[str | None]:
    """The stems of a segmented column's words, as the index reads them, None for one never joined (a
    Han word, a Greek letter): a run of joinable words is the words a phrase can match in a row."""
    words: list[str | None] = []
    for word in _INDEX_WORD.findall(column):
        words.append(_joinable_stem(word))
    return words


def joined_term(words: Sequence[str]) -> str:
    return "".join(word + JOINED_TERM_MARK for word in words)


def joined_terms(column: str) -> list[str]:
    """The joined tokens of a segmented column (tokens separated by spaces): one for each run of 2 to
    ``MAX_JOINED_WORDS`` adjacent joinable words, as often as it occurs (bm25 counts them)."""
    words = _index_words(column)
    found: list[str] = []
    for start in range(len(words) - 1):
        if words[start] is None:
            continue
        for end in range(start + 2, min(start + MAX_JOINED_WORDS, len(words)) + 1):
            if words[end - 1] is None:
                break
            found.append(joined_term(words[start:end]))  # type: ignore[arg-type]
    return found


def query_joined_term(token: str) -> str | None:
    """The joined token a query's technical term (one token of :meth:`Segmenter.tokens`) is searched
    as, or None for a single word, a term of more than ``MAX_JOINED_WORDS`` words or one not joinable."""
    words = _index_words(token)
    if not 2 <= len(words) <= MAX_JOINED_WORDS or None in words:
        return None
    return joined_term(words)  # type: ignore[arg-type]


def with_joined_terms(segments: Segments) -> Segments:
    """``segments`` with the joined tokens of technical terms: the title's in ``title_seg`` (so they rank
    as title words), the body's and the metadata's in ``search_extra`` (``body_seg`` stays the text's
    words: the dataset views count them). The archive adds them to every article it saves; a column
    that holds joined tokens already is left as it is."""
    title_joins = [] if JOINED_TERM_MARK in segments.title_seg else joined_terms(segments.title_seg)
    other_joins = (
        []
        if JOINED_TERM_MARK in segments.search_extra
        else joined_terms(segments.body_seg) + joined_terms(segments.search_extra)
    )
    return Segments(
        title_seg=" ".join([segments.title_seg, *title_joins]) if title_joins else segments.title_seg,
        body_seg=segments.body_seg,
        search_extra=" ".join([segments.search_extra, *other_joins]).strip() if other_joins else segments.search_extra,
    )


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


class PrebuiltDictionary:
    """jieba's dictionary with ours, prebuilt once into an SQLite table of (word, frequency) in the user's
    cache, so that a query's few Han characters are segmented without building rjieba's dictionary (0.15-0.3
    s at every start of the CLI): only the query's own substrings are looked up, and jieba's own algorithm
    (a DAG of dictionary words, the most probable route, HMM off) is run on them (:meth:`cut`). Its words
    are rjieba's exactly (``tests/test_text.py`` compares both on the replica's texts and random ones).

    Built from the dictionary file of the ``jieba`` package (the one rjieba embeds) and our user dictionary,
    under a name that changes with either, so an upgrade builds a new one; about a second, once."""

    FORMAT = 1

    def __init__(self, path: Path, total: float, longest: int) -> None:
        self.path = path
        self._log_total = math.log(total)
        self._longest = longest
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def open(cls, entries: list[tuple[str, int]], cache: Path | None = None) -> PrebuiltDictionary | None:
        """The prebuilt dictionary for our ``entries`` (built now when missing), or None when the jieba
        dictionary file or a writable cache folder is missing (the caller uses rjieba)."""
        source = _jieba_dictionary_file()
        if source is None:
            return None
        stat = source.stat()
        key = hashlib.sha256(repr((cls.FORMAT, str(source), stat.st_size, stat.st_mtime_ns, entries)).encode())
        folder = cache or _cache_folder()
        path = folder / f"jieba-dictionary-{key.hexdigest()[:16]}.sqlite"
        try:
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                _build_dictionary(source, entries, path)
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            total, longest = connection.execute("SELECT total, longest FROM about").fetchone()
        except (OSError, sqlite3.Error):
            return None
        found = cls(path, total, longest)
        found._connection = connection
        return found

    def cut(self, text: str) -> list[str]:
        """jieba's precise-mode words of a text of Han characters and newlines, HMM off."""
        assert self._connection is not None
        runs = text.split("\n")
        wanted = {
            run[start:end]
            for run in runs
            for start in range(len(run))
            for end in range(start + 1, min(len(run), start + self._longest) + 1)
        }
        frequencies: dict[str, int] = {}
        listed = list(wanted)
        for first in range(0, len(listed), 500):
            chunk = listed[first : first + 500]
            marks = ", ".join("?" * len(chunk))
            frequencies.update(self._connection.execute(f"SELECT word, freq FROM words WHERE word IN ({marks})", chunk))
        tokens: list[str] = []
        for number, run in enumerate(runs):
            if number:
                tokens.append("\n")
            tokens.extend(self._route(run, frequencies))
        return tokens

    def _route(self, run: str, frequencies: dict[str, int]) -> list[str]:
        """jieba's ``calc``: from the end, each position's best (log probability, last index of its word)."""
        length = len(run)
        route: list[tuple[float, int]] = [(0.0, 0)] * (length + 1)
        for start in range(length - 1, -1, -1):
            ends = [
                end for end in range(start, min(length, start + self._longest)) if frequencies.get(run[start : end + 1])
            ]
            route[start] = max(
                (math.log(frequencies.get(run[start : end + 1]) or 1) - self._log_total + route[end + 1][0], end)
                for end in ends or [start]
            )
        words = []
        start = 0
        while start < length:
            end = route[start][1] + 1
            words.append(run[start:end])
            start = end
        return words


def _jieba_dictionary_file() -> Path | None:
    """The dictionary file of the installed ``jieba`` package, found without importing it."""
    spec = importlib.util.find_spec("jieba")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "dict.txt").is_file():
            return Path(folder) / "dict.txt"
    return None


def _cache_folder() -> Path:
    """``ITP6_CACHE_DIR``, else ``$XDG_CACHE_HOME/itp6crawl`` (``~/.cache/itp6crawl``)."""
    if folder := os.environ.get("ITP6_CACHE_DIR"):
        return Path(folder)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "itp6crawl"


def _build_dictionary(source: Path, entries: list[tuple[str, int]], path: Path) -> None:
    """jieba's words and frequencies, then ours as ``add_word`` sets them, into a new file renamed into
    place whole (two processes building at once each write their own and one wins)."""
    frequencies: dict[str, int] = {}
    total = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            frequencies[parts[0]] = int(parts[1])
            total += int(parts[1])
    for word, frequency in entries:
        total += frequency - frequencies.get(word, 0)
        frequencies[word] = frequency
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    connection = sqlite3.connect(partial)
    try:
        connection.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
        connection.execute("CREATE TABLE about (total INTEGER NOT NULL, longest INTEGER NOT NULL)")
        connection.executemany("INSERT INTO words VALUES (?, ?)", frequencies.items())
        connection.execute("INSERT INTO about VALUES (?, ?)", (total, max(map(len, frequencies))))
        connection.commit()
    finally:
        connection.close()
    os.replace(partial, path)


QUICK_HAN_CHARACTERS = 200  # up to this many Han characters, a query is segmented with the prebuilt dictionary


class Segmenter:
    """jieba-compatible segmentation (rjieba, HMM off) with the medical user dictionary."""

    def __init__(self, user_dictionary: Path | None = None) -> None:
        self._user_dictionary = user_dictionary
        if user_dictionary:
            self._entries = read_user_dictionary(Path(user_dictionary))
        else:  # as_file: the package may be imported from a zip (a scrapyd egg), where the file has no path
            with resources.as_file(USER_DICTIONARY) as path:
                self._entries = read_user_dictionary(path)

    @cached_property
    def _prebuilt(self) -> PrebuiltDictionary | None:
        """The prebuilt dictionary for short texts (queries), or None (a custom dictionary: rjieba)."""
        return None if self._user_dictionary else PrebuiltDictionary.open(self._entries)

    def _cut_precise(self, han: str) -> list[str]:
        """Precise-mode words of Han runs joined by newlines: rjieba once it is built or for long texts,
        else the prebuilt dictionary (a query in a process that never builds rjieba's)."""
        if "_jieba" not in self.__dict__ and len(han) <= QUICK_HAN_CHARACTERS and self._prebuilt is not None:
            return self._prebuilt.cut(han)
        return self._jieba.cut(han, False)

    @cached_property
    def _jieba(self) -> Any:
        """The dictionary, built on the first Han text (0.15-0.2 s), so English-only work never waits.

        rjieba builds a dictionary when imported (its module-level functions) and each ``Jieba()`` builds
        another; the packaged dictionary goes into the module's own, so a search's cold start pays once.
        A custom dictionary gets an instance of its own."""
        import rjieba

        jieba: Any = rjieba.Jieba() if self._user_dictionary else rjieba
        for word, freq in self._entries:
            jieba.add_word(word, freq, None)
        return jieba

    def _pieces(self, text: str, mode: str) -> list[str]:
        """The tokens of ``text`` in order: terms whole, Han runs through jieba.

        All the Han runs go to jieba in one call, joined by newlines, at which jieba always splits (a
        page has some 80 runs between its punctuation and terms: one call per run cost twice the time)."""
        pieces = [(match["han"] is not None, match[0]) for match in _PIECES.finditer(normalise(text))]
        han = "\n".join(piece for is_han, piece in pieces if is_han)
        if not han:  # English only: the dictionary is never loaded
            return [piece for _, piece in pieces]
        if mode == "precise":
            runs = _runs(self._cut_precise(han))
        else:  # recall: search mode's 2- and 3-character words, and every dictionary word inside
            searched, every = _runs(self._jieba.cut_for_search(han, False)), _runs(self._jieba.cut_all(han))
            runs = [
                found + [word for word in words if len(word) > 1] for found, words in zip(searched, every, strict=True)
            ]
        tokens: list[str] = []
        han_runs = iter(runs)
        for is_han, piece in pieces:
            if is_han:
                tokens.extend(next(han_runs))
            else:
                tokens.append(piece)
        return tokens

    def tokens(self, text: str) -> list[str]:
        """Precise-mode tokens, punctuation and spaces dropped."""
        return self._pieces(text, "precise")

    def search_tokens(self, text: str) -> list[str]:
        """Recall tokens: search mode plus every dictionary word (2+ characters) inside long words."""
        return self._pieces(text, "recall")

    def index_text(self, text: str) -> str:
        """Precise tokens joined by spaces, for an FTS column."""
        return " ".join(self.tokens(text))

    def extra_text(self, text: str, precise_tokens: Iterable[str] | None = None) -> str:
        """Sub-words that precise mode does not produce, each once, for recall. Pass ``text``'s precise
        tokens when they are already at hand, to segment it only once more."""
        precise = set(self.tokens(text) if precise_tokens is None else precise_tokens)
        extra = dict.fromkeys(t for t in self.search_tokens(text) if t not in precise)
        return " ".join(extra)


def _runs(tokens: list[str]) -> list[list[str]]:
    """jieba's tokens of newline-joined runs, split back into one list per run (by string operations,
    in C: the tokens of Han runs hold neither the unit separator nor a newline)."""
    return [run.split("\x1f") for run in "\x1f".join(tokens).split("\x1f\n\x1f")]


def read_user_dictionary(path: Path) -> list[tuple[str, int]]:
    """(word, frequency) pairs of a jieba user dictionary (``word [freq] [tag]`` per line)."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) > 1 and not parts[1].isdigit():
            raise ValueError(f"{path}:{number}: frequency must be a whole number, got {parts[1]!r}")
        entries.append((normalise(parts[0]), int(parts[1]) if len(parts) > 1 else 1000))
    return entries


@lru_cache(maxsize=1)
def default_segmenter() -> Segmenter:
    """One shared segmenter with the packaged dictionary (loading it takes a moment)."""
    return Segmenter()


def segment_article(article: Article, segmenter: Segmenter | None = None) -> Segments:
    """The search columns of an article: what the pipeline, ``reindex`` and the benchmarks index.

    Title and body are segmented apart (precise mode), then the recall sub-words of both and the
    metadata (summary, author, credit, categories, tags, image captions) go into ``search_extra``."""
    seg = segmenter or default_segmenter()
    metadata = " ".join(
        [
            article.summary,
            article.author,
            article.credit,
            *article.categories,
            *article.tags,
            *(image.caption or image.alt for image in article.images),
        ]
    )
    title_tokens, body_tokens = seg.tokens(article.title), seg.tokens(article.body_text)
    # A newline joins title and body, so their precise tokens are the text's precise tokens.
    extra = seg.extra_text(f"{article.title}\n{article.body_text}", precise_tokens=title_tokens + body_tokens)
    return Segments(
        title_seg=" ".join(title_tokens),
        body_seg=" ".join(body_tokens),
        search_extra=f"{extra} {seg.index_text(metadata)}".strip(),
    )
