"""The tokens of token bags (the fallback's comparison, the benchmark's metric): hand-written cases."""

from __future__ import annotations

from itp6crawl.tokens import tokens


def test_cjk_characters_are_single_tokens() -> None:
    assert tokens("血小板减少") == ["血", "小", "板", "减", "少"]


def test_latin_and_digit_runs_are_tokens_lowercased() -> None:
    assert tokens("ITP patients, TPO-RA 75mg") == ["itp", "patients", "tpo", "ra", "75mg"]


def test_mixed_script_run_splits_at_cjk() -> None:
    # "ITP6病友网" is one \w run but must give one Latin token and three CJK tokens
    assert tokens("ITP6病友网") == ["itp6", "病", "友", "网"]
    assert tokens("CD4+CD25+ CD127low") == ["cd4", "cd25", "cd127low"]
    assert tokens("10^9/L") == ["10", "9", "l"]


def test_punctuation_and_whitespace_ignored() -> None:
    assert tokens("，。！？【解读】《》“”……——、;:()[]{}«» \n\t") == ["解", "读"]
    assert tokens("") == []
    assert tokens("   ，。  ") == []
    # the underscore is a word character for regex but not a letter: dropped
    assert tokens("a_b") == ["a", "b"]


def test_nfkc_full_width_letters_and_digits() -> None:
    assert tokens("ＩＴＰ６ ＡＢＣ１２３") == ["itp6", "abc123"]
    assert tokens("ＩＴＰ") == tokens("itp")
    # ligature and circled digit fold too
    assert tokens("ﬁne ①") == ["fine", "1"]


def test_kana_and_hangul_are_single_tokens() -> None:
    assert tokens("カタカナ") == ["カ", "タ", "カ", "ナ"]
    assert tokens("ｶﾀ") == ["カ", "タ"]  # half-width katakana folds by NFKC
    assert tokens("한국") == ["한", "국"]


def test_other_alphabets_form_runs() -> None:
    assert tokens("Привет мир") == ["привет", "мир"]
