"""The archive's words for "did you mean": every distinct word of the index, its sound keys and the number
of live articles holding it (:mod:`itp6crawl.spelling` says what a misspelling is; this is its SQL).

- ``search_words``: one row per word (Han words of 2+ characters, English words of 3+ letters, as the
  segmented columns hold them, before stemming): ``articles``, the live articles whose ``title_seg``,
  ``body_seg`` or ``search_extra`` hold it, counted up to :data:`COUNT_CAP`; ``tail``, the last two
  characters of a Han word of 4+ (found "one character apart" through its first two characters, the
  primary key, or its last two, this index); ``letters``, the length of an English word (the few of a
  length near a typed word's are compared).
- ``search_sounds``: the fuzzy sound keys of each Han word (``ai qu po pa``, ``ai qu bo pa`` … for 艾曲泊帕),
  indexed by key.

Kept up to date by :meth:`WordCounts.replace` when the store saves an article (keys are computed only
for words not yet in the table, counts written only below the cap; a dictionary per session remembers
both). Words are never removed: a word whose articles are gone keeps its row at 0 and is never
suggested. Migration ``0012_search_words`` fills the tables from an existing archive's segmented columns.

Plain ``sqlite3`` only, so that a search never imports sqlite-utils; a read-only connection to an archive
older than the tables gets suggestions from the vocabulary alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence

from ..spelling import (
    HAN_WORD,
    MIN_ONE_CHARACTER_APART,
    Correction,
    Entry,
    Lexicon,
    MergedLexicon,
    Suggestion,
    indexable_words,
    sound_keys,
    spans,
    suggestions,
    term_pieces,
    typed_words,
    vocabulary_lexicon,
    within_edits,
)
from ..text import Segmenter, default_segmenter, normalise
from .readonly import matches_up_to

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_words ("
    " word TEXT PRIMARY KEY, tail TEXT, letters INTEGER, articles INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS search_words_tail ON search_words (tail) WHERE tail IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS search_words_letters ON search_words (letters) WHERE letters IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS search_sounds ("
    " sound TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (sound, word)) WITHOUT ROWID",
)
SEGMENTED_COLUMNS = ("title_seg", "body_seg", "search_extra")
COUNT_CAP = 100  # a word's count stops here (see WordCounts)
FEW = 3  # a term in fewer articles than this "finds little": its suggestions are looked for


def _word_row(word: str) -> tuple[str, str | None, int | None]:
    """(word, tail, letters) of a new word."""
    han = bool(HAN_WORD.fullmatch(word))
    return word, word[-2:] if han and len(word) >= MIN_ONE_CHARACTER_APART else None, None if han else len(word)


def _insert_new(connection: sqlite3.Connection, counts: dict[str, int]) -> None:
    """Rows for words not in the table yet (their sound keys too), or their counts added to existing rows."""
    connection.executemany(
        "INSERT INTO search_words (word, tail, letters, articles) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (word) DO UPDATE SET articles = articles + excluded.articles",
        [(*_word_row(word), count) for word, count in counts.items()],
    )
    connection.executemany(
        "INSERT OR IGNORE INTO search_sounds (sound, word) VALUES (?, ?)",
        [(key, word) for word in counts if HAN_WORD.fullmatch(word) for key in sound_keys(word)],
    )


class WordCounts:
    """The writer: keeps ``search_words`` in step with the articles' segmented columns.

    Counts are exact below :data:`COUNT_CAP` and stop there ("that many or more"): enough to rank
    suggestions, and a save then writes the counts of an article's rarer words only, not of the hundreds
    of common ones every article holds (a row update each: 0.7 ms an article, most of a save's cost)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self._counts: dict[str, int] | None = None  # every word's count as this session knows it, read once

    def _known(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = dict(self.connection.execute("SELECT word, articles FROM search_words").fetchall())
        return self._counts

    def replace(self, before: Sequence[str | None], after: Sequence[str | None]) -> None:
        """One live article's segmented columns went from ``before`` to ``after`` (empty: it was not live,
        or is no longer): one article more for the words it gained, one fewer for those it lost."""
        if list(before) == list(after):
            return
        old, new = indexable_words(*before), indexable_words(*after)
        gained, lost = new - old, old - new
        counts = self._known()
        unknown = {word: 1 for word in gained if word not in counts}
        if unknown:
            _insert_new(self.connection, unknown)
            counts.update(unknown)
        for change, words in ((1, gained), (-1, lost)):
            # A count at the cap stays there; a row added a moment ago already counts this article.
            moved = [word for word in words if word not in unknown and counts[word] < COUNT_CAP]
            if not moved:
                continue
            self.connection.execute(  # one statement: the words as a JSON array, looked up by SQLite itself
                "UPDATE search_words SET articles = articles + :change"
                " WHERE word IN (SELECT value FROM json_each(:words)) AND articles + :change >= 0",
                {"change": change, "words": json.dumps(moved, ensure_ascii=False)},
            )
            for word in moved:
                counts[word] = max(0, counts[word] + change)

    def forget_counts(self) -> None:
        """Every count back to 0 (the articles were all deleted, to be saved again); the words stay."""
        self.connection.execute("UPDATE search_words SET articles = 0 WHERE articles <> 0")
        self._counts = None


def create_and_fill(connection: sqlite3.Connection, batch: int = 2000) -> int:
    """Create the tables and fill them from the live articles' segmented columns (migration
    ``0012_search_words``); the number of words."""
    for statement in SCHEMA:
        connection.execute(statement)
    counts: Counter[str] = Counter()
    columns = ", ".join(SEGMENTED_COLUMNS)
    cursor = connection.execute(f"SELECT {columns} FROM articles WHERE status = 'live'")
    while rows := cursor.fetchmany(batch):
        for row in rows:
            counts.update(indexable_words(*row))
    _insert_new(connection, {word: min(count, COUNT_CAP) for word, count in counts.items()})
    return len(counts)


def has_words(connection: sqlite3.Connection) -> bool:
    """Whether the archive has the word tables (an archive older than migration 0012 has not)."""
    found = connection.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('search_words', 'search_sounds')"
    ).fetchone()[0]
    return found == 2


class ArchiveLexicon:
    """The reader: the archive's words as a :class:`~itp6crawl.spelling.Lexicon` (live words only)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def _entries(self, sql: str, params: Sequence[object]) -> list[Entry]:
        return [Entry(word, articles) for word, articles in self.connection.execute(sql, params)]

    def sounding(self, keys: Collection[str]) -> list[Entry]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        return self._entries(
            "SELECT DISTINCT w.word, w.articles FROM search_sounds s JOIN search_words w ON w.word = s.word"
            f" WHERE s.sound IN ({', '.join('?' * len(wanted))}) AND w.articles > 0",
            wanted,
        )

    def sharing_ends(self, word: str) -> list[Entry]:
        head = word[:2]
        # A range of the primary key: the words starting with ``head`` (U+10FFFF sorts after any character).
        return self._entries(
            "SELECT word, articles FROM search_words WHERE word >= ? AND word < ? AND length(word) = ?"
            " AND articles > 0 UNION SELECT word, articles FROM search_words WHERE tail = ? AND length(word) = ?"
            " AND articles > 0",
            [head, head + "\U0010ffff", len(word), word[-2:], len(word)],
        )

    def spelled_near(self, term: str, limit: int) -> list[Entry]:
        # The words of a length within reach, from the narrow index on ``letters``; their counts for the few near.
        candidates = [
            row[0]
            for row in self.connection.execute(
                "SELECT word FROM search_words WHERE letters BETWEEN ? AND ?", [len(term) - limit, len(term) + limit]
            )
        ]
        near = within_edits(term, candidates, limit)
        if not near:
            return []
        return self._entries(
            f"SELECT word, articles FROM search_words WHERE word IN ({', '.join('?' * len(near))}) AND articles > 0",
            near,
        )

    def entry(self, word: str) -> Entry | None:
        row = self.connection.execute("SELECT word, articles FROM search_words WHERE word = ?", [word]).fetchone()
        return Entry(row[0], row[1]) if row else None


def lexicon_of(connection: sqlite3.Connection) -> Lexicon:
    """The archive's words and the vocabulary's names; the vocabulary alone for an archive without the tables."""
    if has_words(connection):
        return MergedLexicon(ArchiveLexicon(connection), vocabulary_lexicon())
    return vocabulary_lexicon()


def _quoted(tokens: Iterable[str]) -> str:
    return " AND ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def articles_matching(connection: sqlite3.Connection, tokens: list[str], at_most: int) -> int:
    """How many articles hold all ``tokens`` (as the search matches them), counting up to ``at_most``."""
    return matches_up_to(connection, _quoted(tokens), at_most) if tokens else 0


def did_you_mean(
    connection: sqlite3.Connection,
    query_text: str,
    segmenter: Segmenter | None = None,
    few: int = FEW,
    matching: Callable[[str, int], int] | None = None,
) -> list[Correction]:
    """For each word typed in ``query_text`` (a query's text, :attr:`itp6crawl.query.Query.text`) that finds
    fewer than ``few`` articles, the words it may have meant (at most three) that find more; words with
    nothing better are left out. The search calls this when a query finds little, ORs each correction into
    the match and shows "did you mean …"; a word that finds enough is never corrected, and the word as
    typed is still searched.

    A word is looked at piece by piece (``罗米斯亭治疗`` is one Han run; ``新诊断itp`` a run and an English
    word): the whole piece first, then the stretches of it the segmenter broke into single characters.

    ``matching(text, at_most)`` counts the articles a word finds, up to ``at_most``; by default all its
    tokens in one article (:func:`articles_matching`). A search that expands words to their concept's names
    passes its own, so that a suggestion finding articles only through its other names counts them."""
    segmenter = segmenter or default_segmenter()
    if matching is None:

        def matching(text: str, at_most: int) -> int:
            return articles_matching(connection, segmenter.tokens(text), at_most)

    lexicon = lexicon_of(connection)
    corrections: list[Correction] = []
    for typed in dict.fromkeys(normalise(word) for word in typed_words(query_text)):
        if (found := matching(typed, few)) >= few:
            continue
        alternatives: dict[str, Suggestion] = {}
        for piece in term_pieces(typed):
            if matching(piece, few) >= few:
                continue  # this piece finds enough: the misspelling is elsewhere in the word
            stretches = spans(segmenter.tokens(piece)) if HAN_WORD.fullmatch(piece) else [piece]
            for stretch in stretches:
                known = lexicon.entry(stretch)
                if known is not None and (known.articles >= few or known.vocabulary):
                    continue
                for suggestion in suggestions(stretch, lexicon):
                    text = typed.replace(stretch, suggestion.word, 1)
                    if text not in alternatives and matching(text, few) > found:
                        alternatives[text] = suggestion
        if alternatives:
            ranked = sorted(alternatives.items(), key=lambda item: (-len(item[1].typed), item[1].rank()))
            corrections.append(Correction(typed, [text for text, _ in ranked[:3]], [s for _, s in ranked[:3]]))
    return corrections
