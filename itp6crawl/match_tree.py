"""The FTS5 expressions the search writes, as trees: quoted phrases joined by ``AND``, ``OR`` and ``NOT``
with parentheses, parsed with FTS5's precedence. Plain Python (no numpy), so a search can look at its query
before deciding how to answer it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Token:
    """One quoted single-token phrase of the expression, ``index`` its place among the phrases (bm25's
    order of summing)."""

    text: str
    index: int


@dataclass(frozen=True, slots=True)
class Operation:
    """AND or OR of two operands or more (a chain of one operator is one node, however long the query),
    or NOT of two (the left side's matches without the right side's)."""

    operator: str
    operands: tuple[Node, ...]


Node = Token | Operation

_LEXEME = re.compile(r'\s*(?:"((?:[^"]|"")*)"(\*?)|(\()|(\))|\b(AND|OR|NOT)\b|(\S))')


def parse_match(match: str) -> Node | None:
    """The tree of an FTS5 expression of quoted phrases joined by AND, OR and NOT with parentheses, or None
    for anything else (a prefix, a column filter, an empty phrase)."""
    lexemes: list[tuple[str, str]] = []
    position = 0
    text = match.rstrip()
    while position < len(text):
        found = _LEXEME.match(text, position)
        if found is None:
            return None
        position = found.end()
        quoted, star, opening, closing, operator, other = found.groups()
        if quoted is not None:
            token = quoted.replace('""', '"')
            if star or not token.strip():
                return None
            lexemes.append(("token", token))
        elif opening or closing:
            lexemes.append((opening or closing, ""))
        elif operator:
            lexemes.append(("op", operator))
        else:
            assert other is not None
            return None  # a column filter (title_seg :), a bare word, an operator FTS5 has and we never write
    parser = _Parser(lexemes)
    tree = parser.any_of()
    return tree if tree is not None and parser.position == len(lexemes) else None


class _Parser:
    """FTS5's precedence: NOT binds tighter than AND, AND tighter than OR; all left-associative."""

    def __init__(self, lexemes: list[tuple[str, str]]) -> None:
        self.lexemes = lexemes
        self.position = 0
        self.tokens = 0

    def operator(self, name: str) -> bool:
        if self.position < len(self.lexemes) and self.lexemes[self.position] == ("op", name):
            self.position += 1
            return True
        return False

    def any_of(self) -> Node | None:
        return self.chain("OR", self.all_of)

    def all_of(self) -> Node | None:
        return self.chain("AND", self.none_of)

    def none_of(self) -> Node | None:
        return self.chain("NOT", self.atom)

    def chain(self, name: str, operand: object) -> Node | None:
        """Operands joined by ``name``: AND and OR as one node of all of them, an operand of the same
        operator in brackets included (FTS5 merges such children into their parent: ``(a OR b) OR c`` is
        one OR of three), NOT left-associative (``a NOT b NOT c`` is ``(a NOT b) NOT c``)."""
        assert callable(operand)
        left = operand()
        if left is None:
            return None
        operands = [left]
        while self.operator(name):
            right = operand()
            if right is None:
                return None
            if name == "NOT":
                operands = [Operation("NOT", (operands[0], right))]
            else:
                operands.append(right)
        if len(operands) == 1:
            return operands[0]
        merged = [child for node in operands for child in (node.operands if _is(node, name) else (node,))]
        return Operation(name, tuple(merged))

    def atom(self) -> Node | None:
        if self.position >= len(self.lexemes):
            return None
        kind, value = self.lexemes[self.position]
        self.position += 1
        if kind == "token":
            self.tokens += 1
            return Token(value, self.tokens - 1)
        if kind == "(":
            inner = self.any_of()
            if inner is None or self.position >= len(self.lexemes) or self.lexemes[self.position][0] != ")":
                return None
            self.position += 1
            return inner
        return None


def _is(node: Node, operator: str) -> bool:
    return isinstance(node, Operation) and node.operator == operator and operator != "NOT"


def tokens_of(tree: Node) -> list[Token]:
    """The tree's tokens in the expression's order."""
    if isinstance(tree, Token):
        return [tree]
    return [token for operand in tree.operands for token in tokens_of(operand)]


def scored_as_whole_matches(tree: Node) -> bool:
    """Whether FTS5 scores each of the expression's phrases exactly where the phrase and every node above it
    match, as :mod:`itp6crawl.postings_rank` scores them. Two shapes, the ones the search writes:

    - an AND (or one operand alone) of words, ORs of words and ORs of ANDs of words (a concept's names, a
      correction), less (NOT) words or an OR of words (the exclusions);
    - an AND of words and phrases of several words, and nothing else.

    FTS5 counts a phrase's instances wherever its iterator stands, and in other shapes an iterator can stand
    on an article its branch does not match: an excluded word inside an OR is counted where its NOT does not
    match, and a phrase whose words are all in an article but not side by side can stop FTS5 counting a word
    of an OR beside it (under an OR, or beside one under a NOT). Those are left to FTS5; property tests
    compare both on random archives."""
    if any(" " in token.text for token in tokens_of(tree)):
        operands = tree.operands if isinstance(tree, Operation) and tree.operator == "AND" else (tree,)
        return all(isinstance(operand, Token) for operand in operands)
    while isinstance(tree, Operation) and tree.operator == "NOT":
        tree, excluded = tree.operands
        if not (_word(excluded) or _or_of(excluded, _word)):
            return False
    operands = tree.operands if isinstance(tree, Operation) and tree.operator == "AND" else (tree,)
    return all(_word(operand) or _or_of(operand, _word_or_words) for operand in operands)


def _word(node: Node) -> bool:
    return isinstance(node, Token) and " " not in node.text


def _word_or_words(node: Node) -> bool:
    return _word(node) or (
        isinstance(node, Operation) and node.operator == "AND" and all(_word(operand) for operand in node.operands)
    )


def _or_of(node: Node, alternative: Callable[[Node], bool]) -> bool:
    return isinstance(node, Operation) and node.operator == "OR" and all(map(alternative, node.operands))
