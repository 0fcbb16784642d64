"""The benchmark metric itself: hand-computed cases, so a wrong metric fails here."""

from __future__ import annotations

from collections import Counter

import pytest

from itp6crawl.extraction_metrics import collapse, mean, snippet_score, token_prf


def test_prf_hand_computed_chinese_and_english() -> None:
    # reference: 血 小 板 低 itp  (5 tokens)
    # predicted: 血 小 板 itp 广 告 (6 tokens); overlap 血 小 板 itp = 4
    p, r, f = token_prf("血小板, ITP 广告", "血小板低。itp")
    assert p == pytest.approx(4 / 6)
    assert r == pytest.approx(4 / 5)
    assert f == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))


def test_prf_is_a_multiset_overlap() -> None:
    # predicted has 的 three times, reference twice: only two count
    p, r, f = token_prf("的的的", "的的")
    assert (p, r) == (pytest.approx(2 / 3), 1.0)
    assert f == pytest.approx(0.8)
    # duplicated paragraph halves precision, keeps recall
    p, r, _ = token_prf("病友 分享。病友 分享。", "病友分享")
    assert (p, r) == (0.5, 1.0)


def test_prf_order_does_not_matter() -> None:
    assert token_prf("b a 乙 甲", "甲 乙 a b") == (1.0, 1.0, 1.0)


def test_prf_punctuation_only_differences_score_perfect() -> None:
    assert token_prf("血小板：10^9/L！", "血小板 10 9 L") == (1.0, 1.0, 1.0)


def test_prf_nfkc_full_width_matches_half_width() -> None:
    assert token_prf("ＩｇＧ１ 抗体", "igg1抗体") == (1.0, 1.0, 1.0)


def test_prf_empty_cases() -> None:
    assert token_prf("", "") == (1.0, 1.0, 1.0)
    assert token_prf("，。", " ") == (1.0, 1.0, 1.0)  # no tokens on either side
    assert token_prf("", "血小板") == (0.0, 0.0, 0.0)
    assert token_prf("血小板", "") == (0.0, 0.0, 0.0)
    assert token_prf("abc", "xyz") == (0.0, 0.0, 0.0)


def test_prf_accepts_token_lists_and_counters() -> None:
    assert token_prf(["a", "b"], Counter({"a": 1, "c": 1})) == (0.5, 0.5, 0.5)


def test_snippet_score_counts() -> None:
    text = "正文第一段。\n\n萧海川 报道\n  2月17日  消息\n纠错"
    s = snippet_score(text, ["2月17日", "萧海川", "能过关。"], ["纠错", "关注新华网", "半月谈"])
    assert (s.found, s.must_total, s.absent, s.must_not_total) == (2, 3, 2, 3)
    assert s.missing == ["能过关。"]
    assert s.leaked == ["纠错"]
    assert (s.hits, s.total) == (4, 6)


def test_snippet_score_collapses_whitespace_and_nfkc() -> None:
    text = "Copyright\n\n(c)   2000 ，ＩＣＰ证010042号"
    s = snippet_score(text, ["copyright"], ["Copyright (c) 2000", "ICP证010042号"])
    assert s.found == 0  # case-sensitive
    assert s.absent == 0  # both must-not snippets found despite line breaks and full-width letters
    assert collapse(" a \n\t b ") == "a b"


def test_snippet_score_skips_empty_snippets() -> None:
    s = snippet_score("x", ["", "x"], ["  "])
    assert (s.found, s.must_total, s.absent, s.must_not_total) == (1, 1, 0, 0)


def test_mean() -> None:
    assert mean([]) == 0.0
    assert mean([1.0, 0.0, 0.5]) == pytest.approx(0.5)
