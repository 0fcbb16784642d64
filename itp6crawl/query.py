"""The search query language, the same in every place (CLI, Python API, Datasette, sqlite-utils).

- words are ANDed: ``血小板 激素``; Chinese typed without spaces is segmented (``血小板低`` = 血小板 + 低);
- ``"…"`` is a phrase (its words adjacent, in order): ``"血小板 减少"``;
- ``OR`` (upper case) between words or groups: ``艾曲泊帕 OR 海曲泊帕``, ``(激素 OR 地塞米松) 儿童``;
- ``-word`` or ``-"phrase"`` excludes (``NOT word`` too): ``激素 -儿童``;
- ``title:word`` or ``title:"phrase"`` looks in titles only;
- ``word*`` is a prefix: ``eltrombo*``; ``艾曲*`` finds the words that start with 艾曲 (艾曲泊帕), or the
  words it segments to in a row, the last one a prefix (``血小板低*``: 血小板 then a word starting with 低).

Names of one thing are one word. A word (or words typed in a row) that names a concept of the bilingual
vocabulary (:mod:`itp6crawl.vocabulary`: eltrombopag, Revolade, 艾曲泊帕, ITP, 特发性血小板减少性紫癜 …) searches
every name of the concept, each as a phrase: ``eltrombopag`` is ``("eltrombopag" OR "艾曲泊帕" OR "revolade"
OR …)``. The query says which (:attr:`Query.expansions`, shown as "also searched: …"). A quoted phrase stays
exact (``"eltrombopag"``), as does a prefix (``eltrombo*``); ``parse(text, expand=False)`` (the CLI's
``--exact``, SQL's ``zh_fts(:q, 'exact')``) turns expansion off for the whole query.

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
from dataclasses import dataclass, field
from itertools import pairwise

from .concept_terms import concept_token, names_a_concept
from .text import LATIN_WORD, Segmenter, default_segmenter, normalise, porter_stem, query_joined_term
from .vocabulary import Concept, Vocabulary, load_vocabulary

TITLE_COLUMN = "title_seg"
MAX_QUERY_CHARS = 4000  # characters of query text (see the module's docstring for the three limits)
MAX_QUERY_TERMS = 500  # words after segmentation, excluded and phrase words included
MAX_QUERY_DEPTH = 16  # levels of brackets
MAX_EXPANSIONS = 16  # concepts expanded per query: each adds a handful of phrases that are not counted as words
MAX_NAME_WORDS = 5  # words typed in a row that may name a concept ("immune thrombocytopenic purpura")
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


@dataclass(frozen=True, slots=True)
class Expansion:
    """Words of the query that name a vocabulary concept, and the concept's other names searched with them."""

    typed: str  # the words as the query wrote them
    concept: str  # the concept's id
    names: tuple[str, ...]  # the concept's other names, as the vocabulary writes them

    def __str__(self) -> str:
        return f"{self.typed}: {', '.join(self.names)}"


@dataclass(slots=True)
class Query:
    """A parsed query: the FTS5 ``match`` expression, the positive ``terms`` (for highlighting; a concept's
    names among them) and the ``expansions`` made."""

    text: str
    match: str
    terms: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)
    expanded: bool = True  # parsed with expansion (``parse(expand=...)``)
    joined_terms: bool = False  # technical terms as joined tokens (``parse(joined_terms=...)``)
    concept_terms: bool = False  # concepts as their index tokens (``parse(concept_terms=...)``)
    # The names of each concept a wanted word named (the typed words among them), each an FTS5 expression;
    # empty when nothing was expanded or an exclusion holds an expansion. An article holding none of
    # ``drop`` matches ``parse(text, drop=...)`` as it matches the whole query, with the same bm25.
    units: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)  # the wanted concepts' index tokens (``concept_terms``)


@dataclass(slots=True)
class _Parser:
    lexemes: list[re.Match[str]]
    segmenter: Segmenter
    terms: list[str]
    vocabulary: Vocabulary | None  # None: no expansion
    joined_terms: bool = False  # technical terms as the index's joined tokens (text.joined_terms)
    concept_terms: bool = False  # a concept as the index's concept token (:mod:`itp6crawl.concept_terms`)
    expansions: list[Expansion] = field(default_factory=list)
    drop: frozenset[str] = frozenset()  # names (units of ``any_name``) to leave out of the expression
    units: list[str] = field(default_factory=list)  # the names of each wanted expansion, as expressions
    concepts: list[str] = field(default_factory=list)  # the concept tokens wanted (``concept_terms``)
    excluded_names: bool = False  # an expansion inside an exclusion
    excluded_groups: int = 0  # excluded brackets open around the current position
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
                self.excluded_groups += negate_next
                part = self.any_of()
                self.excluded_groups -= negate_next
                self.depth -= 1
                if (closing := self.peek()) is not None and closing["close"]:
                    self.position += 1
                negative = negate_next
            else:
                negative = bool(lexeme["neg"]) or negate_next
                part = self.named_run(lexeme, collect_terms=not negative)
                if part is None:
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
        if prefix:
            if collect_terms:
                self.terms.extend(tokens)
            quoted = [column + self.quote(token) for token in tokens[:-1]] + [column + _quote(tokens[-1]) + "*"]
        else:
            quoted = self.expanded(word, tokens, column, collect_terms)
        return quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")"

    def expanded(self, word: str, tokens: list[str], column: str, collect_terms: bool) -> list[str]:
        """The quoted tokens of one typed ``word``, each longest run of them that names a concept (艾曲泊帕 of
        艾曲泊帕儿童) as the OR of the concept's names."""
        parts: list[str] = []
        start = 0
        while start < len(tokens):
            for end in range(len(tokens), start, -1):  # the longest run first
                concept = self.concept_named(_joined(tokens[start:end]))
                if concept is not None:
                    typed = word if (start, end) == (0, len(tokens)) else _joined(tokens[start:end])
                    parts.append(self.any_name(concept, tokens[start:end], typed, column, collect_terms))
                    start = end
                    break
            else:
                if collect_terms:
                    self.terms.append(tokens[start])
                parts.append(column + self.quote(tokens[start]))
                start += 1
        return parts

    def named_run(self, lexeme: re.Match[str], collect_terms: bool) -> str | None:
        """The OR of a concept's names when ``lexeme`` and the plain words after it name one together
        (``immune thrombocytopenia``), the longest such run; None otherwise (the words are parsed alone)."""
        if self.vocabulary is None or not _plain_word(lexeme):
            return None
        run = [lexeme]
        for following in self.lexemes[self.position : self.position + MAX_NAME_WORDS - 1]:
            if not _plain_word(following) or following["neg"] or following["field"] != lexeme["field"]:
                break
            run.append(following)
        for length in range(len(run), 1, -1):
            typed = " ".join(word["word"] for word in run[:length])
            concept = self.concept_named(typed)
            if concept is None:
                continue
            tokens = self.count(self.segmenter.tokens(typed))
            self.position += length - 1
            return self.any_name(concept, tokens, typed, f"{TITLE_COLUMN} : " if lexeme["field"] else "", collect_terms)
        return None

    def concept_named(self, typed: str) -> Concept | None:
        if self.vocabulary is None or len(self.expansions) >= MAX_EXPANSIONS:
            return None
        return self.vocabulary.concept_of(typed)

    def any_name(self, concept: Concept, tokens: list[str], typed: str, column: str, collect_terms: bool) -> str:
        """``(typed OR name OR …)``: every name of ``concept`` as a phrase of the index's tokens, the typed
        words first, each phrase once (a Traditional name folds onto its Simplified one). Each name is a
        term to highlight, as one piece (艾曲泊帕乙醇胺, not 艾曲泊帕 and 乙醇胺 apart)."""
        phrases = {" ".join(tokens): typed}
        highlighted = list(tokens)
        for name in concept.terms:
            name_tokens = self.segmenter.tokens(name)
            if name_tokens and " ".join(name_tokens) not in phrases:
                phrases[" ".join(name_tokens)] = name
                highlighted.append(_joined(name_tokens))
        if collect_terms:
            self.terms.extend(highlighted)
        others = tuple(name for phrase, name in phrases.items() if phrase != " ".join(tokens))
        if others:
            self.expansions.append(Expansion(typed, concept.id, others))
        # The typed words are searched as without expansion (血小板低: 血小板 and 低, anywhere), the other
        # names as phrases: expansion only ever adds articles.
        if self.concept_terms:  # the index holds the concept as one token: one posting list, one score
            if collect_terms and not self.excluded_groups:
                self.concepts.append(concept_token(concept))
            return self.concept_unit(concept, tokens, column)
        typed_words = [column + self.quote(token) for token in tokens]
        stems = {_stemmed(" ".join(tokens))}  # platelets is searched as platelet: once, or bm25 counts it twice
        searched = []
        for phrase in list(phrases)[1:]:
            if _stemmed(phrase) not in stems:
                stems.add(_stemmed(phrase))
                searched.append(phrase)
        names = [column + (self.quote(phrase) if " " not in phrase else _quote(phrase)) for phrase in searched]
        typed_unit = typed_words[0] if len(typed_words) == 1 else "(" + " AND ".join(typed_words) + ")"
        units = list(dict.fromkeys([typed_unit, *names]))  # TPO-RA and TPO-RAs are one joined token
        if collect_terms and not self.excluded_groups:
            self.units.extend(units)
        elif names:
            self.excluded_names = True
        kept = [unit for unit in units if unit not in self.drop] or [MATCH_NOTHING]
        return kept[0] if len(kept) == 1 else "(" + " OR ".join(kept) + ")"

    def concept_unit(self, concept: Concept, tokens: list[str], column: str) -> str:
        """The concept's token alone when the typed word is one name as the index holds it (every article
        holding it holds the token); else the typed words too, as without expansion (血小板低: 血小板 and
        低 anywhere, not only in a row)."""
        token = column + _quote(concept_token(concept))
        if len(tokens) == 1 and names_a_concept(tokens[0], concept):
            return token
        typed = [column + self.quote(word) for word in tokens]
        return "(" + (typed[0] if len(typed) == 1 else "(" + " AND ".join(typed) + ")") + " OR " + token + ")"

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


def _plain_word(lexeme: re.Match[str]) -> bool:
    """A word without quotes or a star that is not an operator: one that may be part of a concept's name."""
    word = lexeme["word"]
    return bool(word) and not word.endswith("*") and word not in ("AND", "OR", "NOT")


def _stemmed(phrase: str) -> str:
    """A phrase as the index's terms: its English words by their Porter stems (FTS5's porter tokenizer)."""
    return LATIN_WORD.sub(lambda word: porter_stem(word[0]), phrase)


def _joined(tokens: list[str]) -> str:
    """The tokens of one typed word as one name: Han tokens side by side, other tokens apart (``慢性itp``)."""
    text = tokens[0]
    for before, token in pairwise(tokens):
        text += token if _HAN_WORD.fullmatch(before[-1]) or _HAN_WORD.fullmatch(token[0]) else " " + token
    return text


def parse(
    text: str,
    segmenter: Segmenter | None = None,
    *,
    expand: bool = True,
    vocabulary: Vocabulary | None = None,
    drop: frozenset[str] = frozenset(),
    joined_terms: bool = False,
    concept_terms: bool = False,
) -> Query:
    """Parse the query language into an FTS5 expression; :class:`QueryError` when nothing is searchable
    or the query is beyond the limits (``MAX_QUERY_CHARS``, ``MAX_QUERY_TERMS``, ``MAX_QUERY_DEPTH``).

    ``expand`` searches every name of a concept a word names (``vocabulary``, by default the packaged one);
    ``drop`` leaves some of those names out (:attr:`Query.units`: how the search ranks rare names apart);
    ``joined_terms`` searches technical terms (``TPO-RA``, ``10^9/L``) as the joined tokens of an index that
    holds them (:mod:`itp6crawl.store.features`); without, as phrases of their words."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is longer than {MAX_QUERY_CHARS:,} characters ({len(text):,}): search for fewer words"
        )
    lexemes = list(_LEXEME.finditer(text))
    parser = _Parser(
        lexemes,
        segmenter or default_segmenter(),
        [],
        (vocabulary or load_vocabulary()) if expand else None,
        joined_terms=joined_terms,
        concept_terms=concept_terms,
        drop=drop,
    )
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
    units = [] if parser.excluded_names else list(dict.fromkeys(parser.units))
    terms = list(dict.fromkeys(parser.terms))
    concepts = list(dict.fromkeys(parser.concepts))
    return Query(text, match, terms, parser.expansions, expand, joined_terms, concept_terms, units, concepts)


def reparse(
    query: Query, text: str | None = None, segmenter: Segmenter | None = None, *, drop: frozenset[str] = frozenset()
) -> Query:
    """``text`` (by default the query's own) parsed as ``query`` was: expanded or not, technical terms
    joined or not; ``drop`` as :func:`parse`'s."""
    return parse(
        query.text if text is None else text,
        segmenter,
        expand=query.expanded,
        joined_terms=query.joined_terms,
        concept_terms=query.concept_terms,
        drop=drop,
    )


def with_alternatives(text: str, alternatives: dict[str, list[str]]) -> str:
    """``text`` with each wanted word whose folded form is a key of ``alternatives`` replaced by the word OR
    its alternatives (``eltrombopg`` -> ``(eltrombopg OR eltrombopag)``): how a search adds what a misspelt
    word may have meant without dropping the word as typed."""
    pieces: list[str] = []
    position = 0
    for lexeme in _LEXEME.finditer(text):
        word = lexeme["word"]
        others = alternatives.get(normalise(word)) if word and not lexeme["neg"] else None
        if not others:
            continue
        field = lexeme["field"] or ""
        pieces.append(text[position : lexeme.start()])
        pieces.append("(" + " OR ".join(f"{field}{choice}" for choice in (word, *others)) + ")")
        position = lexeme.end()
    return "".join(pieces) + text[position:]


MATCH_NOTHING = '""'  # an empty phrase: a valid FTS5 expression that matches no row


def zh_fts(
    text: str | None, mode: str | None = None, *, joined_terms: bool = False, concept_terms: bool = False
) -> str:
    """The FTS5 MATCH expression of a query, for SQL: ``WHERE articles_fts MATCH zh_fts(:q)`` (the function
    the Datasette and sqlite-utils plugins register), a concept's names expanded as everywhere;
    ``zh_fts(:q, 'exact')`` searches the words as typed; ``joined_terms`` when the archive's index holds
    technical terms as tokens. Input with nothing searchable matches nothing."""
    if mode not in (None, "exact", "expand"):
        raise ValueError(f"zh_fts's second argument is 'exact' or 'expand', not {mode!r}")
    try:
        return parse(text or "", expand=mode != "exact", joined_terms=joined_terms, concept_terms=concept_terms).match
    except QueryError:
        return MATCH_NOTHING
