"""Extraction-quality metrics: token-bag precision/recall/F1 and snippet checks.

The token metric is the one the shared benchmark figures use: text is NFKC-normalised and
lowercased; every CJK character (Han, kana, hangul) is one token; every run of other letters
and digits (Latin, but also Cyrillic, Greek...) is one token; punctuation, symbols and
whitespace are ignored. Scores compare token *bags* (multisets), so order does not matter
but repetitions do: a paragraph extracted twice costs precision.

Pure functions, standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# Characters that are one token each. NFKC has already folded half-width katakana and
# compatibility ideographs into these blocks.
_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3005-\u3007"  # 々 〆 〇
    "\u3021-\u3029"  # Hangzhou numerals
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana (incl. the prolonged sound mark ー)
    "\u3130-\u318f"  # Hangul Compatibility Jamo
    "\u31f0-\u31ff"  # Katakana Phonetic Extensions
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\ua960-\ua97f"  # Hangul Jamo Extended-A
    "\uac00-\ud7af"  # Hangul Syllables
    "\ud7b0-\ud7ff"  # Hangul Jamo Extended-B
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\U00020000-\U0003134f"  # CJK Extensions B-G
)
_CJK_CHAR = f"[{_CJK_RANGES}]"
# One CJK character, or a run of word characters that are neither CJK nor the underscore.
_TOKEN = re.compile(rf"{_CJK_CHAR}|(?:(?!{_CJK_CHAR})[^\W_])+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC and lowercase: the form tokens are taken from."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    """Tokens of ``text``: each CJK character, each run of other letters/digits; punctuation dropped."""
    if not text:
        return []
    return _TOKEN.findall(normalise(text))


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
