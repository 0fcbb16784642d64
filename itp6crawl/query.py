"""The search query language, the same in every place (CLI, Python API, Datasette, sqlite-utils).

- words are ANDed: ``血小板 激素``; Chinese typed without spaces is segmented (``血小板低`` = 血小板 + 低);
- ``"…"`` is a phrase (its words adjacent, in order): ``"血小板 减少"``;
- ``OR`` (upper case) between words or groups: ``艾曲泊帕 OR 海曲泊帕``, ``(激素 OR 地塞米松) 儿童``;
- ``-word`` or ``-"phrase"`` excludes (``NOT word`` too): ``激素 -儿童``;
- ``title:word`` or ``title:"phrase"`` looks in titles only;
- ``word*`` is a prefix: ``eltrombo*``; ``艾曲*`` finds the words that start with 艾曲 (艾曲泊帕), or the
  words it segments to in a row, the last one a prefix (``血小板低*``: 血小板 then a word starting with 低).

A field or operator with nothing to apply to (``title:``, ``-``, ``NOT``, ``OR``, ``()``, ``""``) adds
nothing; a query of nothing else is refused like an empty one.

:func:`parse` turns any text into a :class:`Query` whose ``match`` is a valid FTS5 expression over the
archive's segmented columns: every token is quoted, so no input raises an FTS5 syntax error. Input
with nothing to search for, or beyond the limits below, raises :class:`QueryError` with one clear line.

Limits. A query people type holds a handful of words and one or two levels of brackets; the longest
anyone pastes is a sentence or a title, as a phrase (500 Chinese characters segment to about 300 words).
The limits sit well above that and well below what costs anything or breaks something:

- ``MAX_QUERY_CHARS`` (4,000 characters) bounds the text looked at before anything else: lexing and
  segmenting it takes a few milliseconds;
- ``MAX_QUERY_TERMS`` (500 words after segmentation, excluded words and the words of phrases counted
  too): FTS5 reads one posting list per word, and a search of 500 words still answers in tens of
  milliseconds; ranking and highlighting grow with the number of words;
- ``MAX_QUERY_DEPTH`` (16 levels of brackets): each level becomes up to three levels of the FTS5
  expression (an OR, an AND and a NOT group), and FTS5's own parser gives up ("parser stack overflow",
  its stack holds 100 entries) at 19 levels of that worst shape; 16 leaves a margin. Before the limit,
  500 nested brackets exhausted Python's recursion limit.

Everything here runs in time linear in the query's length: the lexer never rescans spaces, exclusions
are one ``NOT (a OR b OR …)`` rather than one level of nesting each, and the search's own use of the
parsed query (:mod:`itp6crawl.search`) neither scans a list per word nor sums every list per article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from .text import Segmenter, default_segmenter, normalise, query_joined_term

TITLE_COLUMN = "title_seg"
MAX_QUERY_CHARS = 4000  # characters of query text (see the module's docstring for the three limits)
MAX_QUERY_TERMS = 500  # words after segmentation, excluded and phrase words included
MAX_QUERY_DEPTH = 16  # levels of brackets
_HAN_SPACES = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_HAN_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")  # Han characters only (text.py's runs)
# No leading \s*: finditer skips spaces by itself, once; a pattern starting with \s* rescans a run of
# spaces from each of its positions (4,000 spaces took a second).
_LEXEME = re.compile(
    r"""(?P<open>\()|(?P<close>\))
      | (?P<bare>-?title:)(?=[\s()]|$)  # a field with nothing after it: adds nothing
      | (?P<neg>-)?(?P<field>title:)?(?:["“”「『](?P<phrase>[^"“”」』]*)["“”」』]?|(?P<word>[^\s()"“”「『]+))
    """,
    re.VERBOSE,
)


class QueryError(ValueError):
    """The query holds nothing to search for (only punctuation, only exclusions, …), or is beyond the
    limits (too long, too many words, brackets nested too deep)."""


@dataclass(slots=True)
class Query:
    """A parsed query: the FTS5 ``match`` expression and the positive ``terms`` (for highlighting)."""

    text: str
    match: str
    terms: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Parser:
    lexemes: list[re.Match[str]]
    segmenter: Segmenter
    terms: list[str]
    joined_terms: bool = False  # technical terms as the index's joined tokens (text.joined_terms)
    position: int = 0
    depth: int = 0  # brackets open around the current position
    words: int = 0  # tokens seen so far, wanted or excluded
    excluded: bool = False  # an exclusion with something in it was seen (the error then says so)

    def peek(self) -> re.Match[str] | None:
        return self.lexemes[self.position] if self.position < len(self.lexemes) else None

    def any_of(self) -> str | None:
        """``a OR b OR …``; None when nothing searchable is left in it."""
        branches: list[str] = []
        while True:
            branch = self.all_of()
            if branch:
                branches.append(branch)
            lexeme = self.peek()
            if lexeme is not None and lexeme["word"] == "OR" and not lexeme["neg"] and not lexeme["field"]:
                self.position += 1
                continue
            break
        if not branches:
            return None
        return branches[0] if len(branches) == 1 else "(" + " OR ".join(branches) + ")"

    def all_of(self) -> str | None:
        """Words and groups side by side, all required; exclusions subtracted from them."""
        required: list[str] = []
        excluded: list[str] = []
        negate_next = False
        while (lexeme := self.peek()) is not None:
            if lexeme["close"] or (lexeme["word"] == "OR" and not lexeme["neg"] and not lexeme["field"]):
                break
            self.position += 1
            if lexeme["bare"]:
                continue
            if lexeme["word"] in ("AND", "NOT") and not lexeme["neg"] and not lexeme["field"]:
                negate_next = lexeme["word"] == "NOT"
                continue
            if lexeme["open"]:
                self.depth += 1
                if self.depth > MAX_QUERY_DEPTH:
                    raise QueryError(f"the query's brackets are nested more than {MAX_QUERY_DEPTH} deep")
                part = self.any_of()
                self.depth -= 1
                if (closing := self.peek()) is not None and closing["close"]:
                    self.position += 1
                negative = negate_next
            else:
                negative = bool(lexeme["neg"]) or negate_next
                part = self.atom(lexeme, collect_terms=not negative)
            negate_next = False
            if part:
                (excluded if negative else required).append(part)
                self.excluded |= negative
        if not required:
            return None  # exclusions alone find nothing: FTS5 has no "everything but"
        expression = required[0] if len(required) == 1 else "(" + " AND ".join(required) + ")"
        if excluded:  # a NOT b NOT c is a NOT (b OR c): one level, however many exclusions
            unwanted = excluded[0] if len(excluded) == 1 else "(" + " OR ".join(excluded) + ")"
            expression = f"({expression} NOT {unwanted})"
        return expression

    def atom(self, lexeme: re.Match[str], collect_terms: bool) -> str | None:
        column = f"{TITLE_COLUMN} : " if lexeme["field"] else ""
        if lexeme["phrase"] is not None:
            # Spaces between Chinese characters carry no meaning: "血小板 减少" is 血小板减少.
            tokens = self.count(self.segmenter.tokens(_HAN_SPACES.sub("", lexeme["phrase"])))
            if not tokens:
                return None
            if collect_terms:
                self.terms.extend(tokens)
            if len(tokens) == 1:
                return column + self.quote(tokens[0])
            return column + _quote(" ".join(tokens))
        word = lexeme["word"] or ""
        prefix = word.endswith("*")
        tokens = self.count(self.segmenter.tokens(word.rstrip("*")))
        if not tokens:
            return None
        if prefix and len(tokens) > 1 and _HAN_WORD.fullmatch(start := normalise(word.rstrip("*"))):
            # 艾曲* segments to 艾 + 曲, but the index holds 艾曲泊帕 whole: a word starting with 艾曲, or
            # the words 艾 曲 in a row with the last a prefix (血小板低* = 血小板, then 低…).
            if collect_terms:
                self.terms.append(start)
            return "(" + " OR ".join(f"{column}{_quote(text)}*" for text in (start, " ".join(tokens))) + ")"
        if collect_terms:
            self.terms.extend(tokens)
        quoted = [self.quote(token) for token in tokens]
        if prefix:
            quoted[-1] = _quote(tokens[-1]) + "*"
        if column:
            quoted = [column + part for part in quoted]
        return quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")"

    def quote(self, token: str) -> str:
        """One token as an FTS5 string: a technical term as its joined token when the index holds them
        (the same articles as the phrase of its words, read from one posting list)."""
        joined = query_joined_term(token) if self.joined_terms else None
        return _quote(joined or token)

    def count(self, tokens: list[str]) -> list[str]:
        self.words += len(tokens)
        if self.words > MAX_QUERY_TERMS:
            raise QueryError(f"the query has more than {MAX_QUERY_TERMS} words: search for fewer")
        return tokens


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def parse(text: str, segmenter: Segmenter | None = None, *, joined_terms: bool = False) -> Query:
    """Parse the query language into an FTS5 expression; :class:`QueryError` when nothing is searchable
    or the query is beyond the limits (``MAX_QUERY_CHARS``, ``MAX_QUERY_TERMS``, ``MAX_QUERY_DEPTH``).

    ``joined_terms``: search technical terms (``TPO-RA``, ``10^9/L``) as the joined tokens of an index
    that holds them (:func:`itp6crawl.store.labels.joined_terms_indexed`); without, as phrases of their words."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is longer than {MAX_QUERY_CHARS:,} characters ({len(text):,}): search for fewer words"
        )
    lexemes = list(_LEXEME.finditer(text))
    parser = _Parser(lexemes, segmenter or default_segmenter(), [], joined_terms)
    parts: list[str] = []
    while parser.peek() is not None:
        part = parser.any_of()
        if part:
            parts.append(part)
        if (lexeme := parser.peek()) is not None and lexeme["close"]:
            parser.position += 1  # an unmatched ")": ignored
    if not parts:
        if parser.excluded:
            raise QueryError(f"nothing to search for in {text!r}: add a word to find beside the excluded ones")
        raise QueryError(f"nothing to search for in {text!r}: type a word, e.g. 艾曲泊帕 or IgG1")
    match = parts[0] if len(parts) == 1 else " AND ".join(parts)
    return Query(text=text, match=match, terms=list(dict.fromkeys(parser.terms)))


MATCH_NOTHING = '""'  # an empty phrase: a valid FTS5 expression that matches no row


def zh_fts(text: str | None, *, joined_terms: bool = False) -> str:
    """The FTS5 MATCH expression of a query, for SQL: ``WHERE articles_fts MATCH zh_fts(:q)`` (the function
    the Datasette and sqlite-utils plugins register, with ``joined_terms`` when the archive's index holds
    technical terms as tokens). Input with nothing searchable matches nothing."""
    try:
        return parse(text or "", joined_terms=joined_terms).match
    except QueryError:
        return MATCH_NOTHING


def zh_fts_for(joined_terms: bool) -> Callable[[str | None], str]:
    """:func:`zh_fts` for one archive: the SQL function a plugin registers on its connection."""
    return partial(zh_fts, joined_terms=joined_terms)
