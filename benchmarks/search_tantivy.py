"""tantivy (the Rust search library, BM25) beside our search, for ``search_bench.py``: an index of an archive's
own segmented columns, and our parsed query (:func:`itp6crawl.query.parse`) run against it.

The index is fed what FTS5 indexes, tokenised as FTS5's ``porter unicode61`` does it: the whitespace-joined
tokens of ``title_seg``, ``body_seg`` and ``search_extra`` cut into runs of letters and digits (every other
character separates, as unicode61's categories say), lower-cased, each run holding a Latin letter stemmed by
:func:`itp6crawl.text.porter_stem` (the stems FTS5's porter makes). Python does that cutting for the
documents and the queries alike and tantivy only splits on the spaces, so both engines see the same terms and
their exact totals can be compared. Fields are boosted as our bm25 weights the columns (10 / 1 / 0.5);
``category``, ``tag`` (lower-cased: our tag filter is NOCASE) and ``author`` (the nickname and the credit,
as our author filter matches either) are untokenised filter fields; ``published_at`` a date.

Optional: :data:`AVAILABLE` is False (and :data:`MISSING` says why) when the ``tantivy`` package is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from itp6crawl.store.toplists import BM25_WEIGHTS
from itp6crawl.text import porter_stem

try:
    import tantivy
except ImportError as error:  # the `bench` extra is not installed
    tantivy = None
    MISSING = f"{type(error).__name__}: {error}"
else:
    MISSING = ""
AVAILABLE = tantivy is not None

TEXT_FIELDS = ("title", "body", "extra")  # title_seg, body_seg, search_extra
FIELD_BOOSTS = dict(zip(TEXT_FIELDS, BM25_WEIGHTS, strict=True))
FTS_COLUMN_FIELD = {"title_seg": "title", "body_seg": "body", "search_extra": "extra"}
SPACES = "spaces"  # the analyzer of the text fields: split on whitespace, nothing else
LOWER_RAW = "lower_raw"  # the tag field's: one token, lower-cased
INDEX_FORMAT = 2  # bump when the fields or the tokenisation change: cached indexes are rebuilt
WRITER_HEAP = 256_000_000

# A token of unicode61: a run of letters, digits and private-use characters (the L*, N* and Co categories;
# the joined technical terms of migration 0013 end their words with U+E0F0).
_UNICODE61_TOKEN = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff])+")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_ASCII_LETTER = re.compile(r"[a-z]")


def fts_terms(text: str) -> list[str]:
    """The terms FTS5's ``porter unicode61`` makes of ``text``, in order."""
    terms = []
    for run in _UNICODE61_TOKEN.findall(text.lower()):
        if not run.isascii():
            run = _without_diacritics(run)
        stemmed = _ASCII_LETTER.search(run) and not _PRIVATE_USE.search(run)  # porter leaves joined terms alone
        terms.append(porter_stem(run) if stemmed else run)
    return terms


def _without_diacritics(run: str) -> str:
    """unicode61's ``remove_diacritics``: a Latin letter loses its marks (é -> e); other scripts keep theirs."""
    return "".join(
        "".join(part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part))
        if "\u00c0" <= char <= "\u024f"
        else char
        for char in run
    )


def _register(index: Any) -> None:
    index.register_tokenizer(SPACES, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    index.register_tokenizer(
        LOWER_RAW, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()
    )


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=SPACES, index_option="position")
    builder.add_text_field("category", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("tag", tokenizer_name=LOWER_RAW, index_option="basic")
    builder.add_text_field("author", tokenizer_name="raw", index_option="basic")
    builder.add_date_field("published_at", stored=True, indexed=True, fast=True)
    return builder.build()


def _state(db: Path) -> dict[str, Any]:
    """What the index was built from: it is rebuilt when the archive's search columns have changed since."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        articles = connection.execute("SELECT count(*), max(id) FROM articles WHERE status = 'live'").fetchone()
        try:
            generation = connection.execute("SELECT generation FROM search_state").fetchone()[0]
        except sqlite3.OperationalError:
            generation = db.stat().st_mtime
    return {"format": INDEX_FORMAT, "live": articles[0], "max_id": articles[1], "generation": generation}


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    seconds: float  # 0.0 when cached
    documents: int
    segments: int
    mib: float


def build_index(db: Path, *, rebuild: bool = False) -> Built:
    """The tantivy index of ``db``'s live articles, in ``<db stem>-tantivy/`` beside it (cached)."""
    path = db.with_name(db.stem + "-tantivy")
    stamp = path / "itp6-bench-state.json"
    state = _state(db)
    seconds = 0.0
    if rebuild or not stamp.exists() or json.loads(stamp.read_text()) != state:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        start = time.perf_counter()
        index = tantivy.Index(_schema(), path=str(path), reuse=False)
        _register(index)
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            rows = connection.execute(
                "SELECT id, title_seg, body_seg, search_extra, categories, tags, author, credit, published_at"
                " FROM articles WHERE status = 'live'"
            )
            for article_id, title, body, extra, categories, tags, author, credit, published in rows:
                document = tantivy.Document(id=article_id)
                for name, text in zip(TEXT_FIELDS, (title, body, extra), strict=True):
                    document.add_text(name, " ".join(fts_terms(text or "")))
                for category in json.loads(categories or "[]"):
                    document.add_text("category", category)
                for tag in json.loads(tags or "[]"):
                    document.add_text("tag", tag)
                for name in {author, credit} - {None, ""}:
                    document.add_text("author", name)
                if published:
                    document.add_date("published_at", datetime.fromisoformat(published))
                writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        seconds = time.perf_counter() - start
        stamp.write_text(json.dumps(state))
    index = tantivy.Index.open(str(path))
    _register(index)
    searcher = index.searcher()
    mib = sum(f.stat().st_size for f in path.iterdir() if f.is_file()) / 2**20
    return Built(path, seconds, searcher.num_docs, searcher.num_segments, round(mib, 1))


class Untranslatable(ValueError):
    """A match expression this translator does not read (it reports, the benchmark goes on)."""


# The lexemes of an FTS5 match expression as itp6crawl.query writes it.
_MATCH_LEXEME = re.compile(
    r'\s*(?:(?P<phrase>"(?:[^"]|"")*")(?P<star>\*)?|(?P<op>AND|OR|NOT)\b|(?P<paren>[()])|(?P<column>\w+)\s*:)'
)


class TantivySide:
    """An opened index and its searcher, and our queries translated to tantivy's."""

    def __init__(self, built: Built) -> None:
        self.index = tantivy.Index.open(str(built.path))
        _register(self.index)
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def search(
        self,
        match: str,
        *,
        category: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        limit: int = 10,
    ) -> tuple[list[int], int]:
        """The ids of the best ``limit`` articles for an FTS5 ``match`` of :func:`itp6crawl.query.parse`, and
        the exact count of all matches (tantivy's count collector)."""
        query = self.translate(match)
        filters = [
            tantivy.Query.term_query(self.schema, name, value.lower() if name == "tag" else value, "basic")
            for name, value in (("category", category), ("tag", tag), ("author", author))
            if value
        ]
        if filters:  # filters only narrow: they add nothing to the score
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query)]
                + [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
            )
        result = self.searcher.search(query, limit=limit, count=True)
        ids = [self.searcher.doc(address)["id"][0] for _, address in result.hits]
        return ids, result.count

    # ---------------------------------------------------------------- FTS5 expression -> tantivy query

    def translate(self, match: str) -> Any:
        lexemes = []
        position = 0
        text = match.rstrip()
        while position < len(text):
            found = _MATCH_LEXEME.match(text, position)
            if not found:
                raise Untranslatable(f"cannot read {text[position:]!r} of {match!r}")
            lexemes.append(found)
            position = found.end()
        parser = _Translator(self, lexemes)
        query = parser.any_of(TEXT_FIELDS)
        if parser.position != len(lexemes):
            raise Untranslatable(f"left over in {match!r}")
        return query

    def phrase(self, text: str, fields: tuple[str, ...], prefix: bool) -> Any:
        """One quoted FTS5 phrase: its terms adjacent in one field, any of ``fields``, boosted as our columns."""
        terms = fts_terms(text)
        if not terms:
            return tantivy.Query.empty_query()
        per_field = []
        for name in fields:
            if prefix:
                query = tantivy.Query.phrase_prefix_query(self.schema, name, terms)
            elif len(terms) == 1:
                query = tantivy.Query.term_query(self.schema, name, terms[0], "freq")
            else:
                query = tantivy.Query.phrase_query(self.schema, name, terms)
            per_field.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, FIELD_BOOSTS[name])))
        return per_field[0][1] if len(per_field) == 1 else tantivy.Query.boolean_query(per_field)


@dataclass(slots=True)
class _Translator:
    """Recursive descent over FTS5's grammar (NOT binds tightest, then AND, then OR); ``fields`` are the
    fields a phrase may match in (a column filter narrows them for what follows it)."""

    side: TantivySide
    lexemes: list[re.Match[str]]
    position: int = 0

    def peek(self, group: str) -> str | None:
        if self.position < len(self.lexemes):
            return self.lexemes[self.position][group]
        return None

    def any_of(self, fields: tuple[str, ...] = TEXT_FIELDS) -> Any:
        branches = [self.all_of(fields)]
        while self.peek("op") == "OR":
            self.position += 1
            branches.append(self.all_of(fields))
        if len(branches) == 1:
            return branches[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, branch) for branch in branches])

    def all_of(self, fields: tuple[str, ...]) -> Any:
        parts = [self.excluding(fields)]
        while self.peek("op") == "AND" or self.peek("phrase") or self.peek("paren") == "(" or self.peek("column"):
            if self.peek("op") == "AND":
                self.position += 1
            parts.append(self.excluding(fields))
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, part) for part in parts])

    def excluding(self, fields: tuple[str, ...]) -> Any:
        kept = self.primary(fields)
        excluded = []
        while self.peek("op") == "NOT":
            self.position += 1
            excluded.append(self.primary(fields))
        if not excluded:
            return kept
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, kept)] + [(tantivy.Occur.MustNot, query) for query in excluded]
        )

    def primary(self, fields: tuple[str, ...]) -> Any:
        if self.position >= len(self.lexemes):
            raise Untranslatable("expression ends early")
        lexeme = self.lexemes[self.position]
        self.position += 1
        if lexeme["column"]:
            if lexeme["column"] not in FTS_COLUMN_FIELD:
                raise Untranslatable(f"unknown column {lexeme['column']!r}")
            return self.primary((FTS_COLUMN_FIELD[lexeme["column"]],))
        if lexeme["paren"] == "(":
            query = self.any_of(fields)
            if self.peek("paren") != ")":
                raise Untranslatable("unclosed bracket")
            self.position += 1
            return query
        if lexeme["phrase"]:
            return self.side.phrase(lexeme["phrase"][1:-1].replace('""', '"'), fields, bool(lexeme["star"]))
        raise Untranslatable(f"unexpected {lexeme[0]!r}")
