"""How well an extraction did: token-bag precision/recall/F1 and snippet checks (the extraction benchmark's
metrics, and the tests').

The token metric is the one the shared benchmark figures use, over the tokens of :mod:`itp6crawl.tokens`
(NFKC, lowercased, every CJK character one token, every run of other letters and digits one token).
Scores compare token *bags* (multisets), so order does not matter but repetitions do: a paragraph
extracted twice costs precision.

Pure functions, standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .tokens import tokens

_SPACE = re.compile(r"\s+")


def _bag(value: str | Iterable[str] | Counter[str]) -> Counter[str]:
    if isinstance(value, Counter):
        return value
    if isinstance(value, str):
        return Counter(tokens(value))
    return Counter(value)


def token_prf(
    predicted: str | Iterable[str] | Counter[str],
    reference: str | Iterable[str] | Counter[str],
) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted token bag against the reference bag.

    Each argument is a text (tokenised with :func:`tokens`), a token list or a ``Counter``.
    Both empty: (1, 1, 1), nothing was to be found and nothing was found. Exactly one empty: (0, 0, 0).
    """
    pred = _bag(predicted)
    ref = _bag(reference)
    n_pred = sum(pred.values())
    n_ref = sum(ref.values())
    if n_pred == 0 and n_ref == 0:
        return 1.0, 1.0, 1.0
    if n_pred == 0 or n_ref == 0:
        return 0.0, 0.0, 0.0
    overlap = sum((pred & ref).values())
    precision = overlap / n_pred
    recall = overlap / n_ref
    f1 = 0.0 if overlap == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def collapse(text: str) -> str:
    """NFKC with every whitespace run turned into one space, ends stripped (case kept)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


@dataclass(slots=True)
class SnippetScore:
    """How a text fares against must-have / must-not-have snippets (trafilatura evaluation style)."""

    found: int  # must-have snippets present
    must_total: int
    absent: int  # must-not snippets absent
    must_not_total: int
    missing: list[str] = field(default_factory=list)  # must-have snippets not found
    leaked: list[str] = field(default_factory=list)  # must-not snippets found

    @property
    def hits(self) -> int:
        """Snippets that came out right, of either kind."""
        return self.found + self.absent

    @property
    def total(self) -> int:
        return self.must_total + self.must_not_total


def snippet_score(text: str, must: Iterable[str], must_not: Iterable[str]) -> SnippetScore:
    """Count must-have snippets found and must-not snippets absent in ``text``.

    Both the text and the snippets are NFKC-normalised with whitespace runs collapsed to one space,
    so line breaks and full-width forms do not decide the outcome; matching is case-sensitive.
    An empty (or whitespace-only) snippet is skipped.
    """
    flat = collapse(text)
    must_list = [s for s in (collapse(m) for m in must) if s]
    not_list = [s for s in (collapse(m) for m in must_not) if s]
    missing = [s for s in must_list if s not in flat]
    leaked = [s for s in not_list if s in flat]
    return SnippetScore(
        found=len(must_list) - len(missing),
        must_total=len(must_list),
        absent=len(not_list) - len(leaked),
        must_not_total=len(not_list),
        missing=missing,
        leaked=leaked,
    )


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    items = list(values)
    return sum(items) / len(items) if items else 0.0
