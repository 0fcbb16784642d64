"""Tokens for comparing texts as bags: text is NFKC-normalised and lowercased; every CJK character (Han,
kana, hangul) is one token; every run of other letters and digits (Latin, but also Cyrillic, Greek...) is
one token; punctuation, symbols and whitespace are ignored.

The generic extractor compares its two readings of a page by these tokens, and the extraction metrics
(:mod:`itp6crawl.extraction_metrics`) score with them. They are not the search's words, which
:mod:`itp6crawl.text` segments. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

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


def normalise(text: str) -> str:
    """NFKC and lowercase: the form tokens are taken from."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    """Tokens of ``text``: each CJK character, each run of other letters/digits; punctuation dropped."""
    if not text:
        return []
    return _TOKEN.findall(normalise(text))
