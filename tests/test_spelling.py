import sys

import pytest

from itp6crawl import spelling
from itp6crawl.spelling import (
    MAX_SOUNDS,
    Entry,
    MemoryLexicon,
    MergedLexicon,
    edit_limit,
    edits,
    fuzzy,
    indexable_words,
    one_character_apart,
    sound_keys,
    spans,
    suggestions,
    syllables,
    term_pieces,
    toneless,
    typed_words,
    vocabulary_lexicon,
)

ARCHIVE_WORDS = {
    "艾曲泊帕": 40,
    "海曲泊帕": 12,
    "罗米司亭": 25,
    "利妥昔单抗": 30,
    "环孢素": 18,
    "丙种球蛋白": 22,
    "地塞米松": 50,
    "血小板": 900,
    "eltrombopag": 9,
    "romiplostim": 7,
    "rituximab": 11,
    "dexamethasone": 6,
    "platelet": 300,
    "platelets": 200,
}


@pytest.fixture
def archive_words() -> MemoryLexicon:
    return MemoryLexicon(Entry(word, count) for word, count in ARCHIVE_WORDS.items())


def words(found):
    return [suggestion.word for suggestion in found]


def test_readings_are_toneless_every_one_of_them_commonest_first():
    assert toneless("lǜ") == "lv" and toneless("pō") == "po" and toneless("ǹg") == "ng"
    assert syllables("泊", folded=False)[:2] == ("po", "bo")  # pō (湖泊) first, bó (泊帕) too
    assert syllables("绿", folded=False) == ("lv", "lu")
    assert syllables("𠀀", folded=False) in (("𠀀",), ("he",), ("qiu",))  # a rare character: itself or a reading


def test_fuzzy_folds_the_initials_and_finals_pinyin_typists_confuse():
    assert [fuzzy(s) for s in ("zhang", "chi", "shu", "ning", "nv", "lang", "qing", "feng")] == [
        "zan", "ci", "su", "lin", "lv", "lan", "qin", "fen",
    ]  # fmt: skip
    assert fuzzy("zhong") == "zong" and fuzzy("xiong") == "xiong"  # -ong has no -on to be confused with
    assert fuzzy("n") == "n" and fuzzy("ang") == "an"


def test_sound_keys_combine_every_reading_up_to_a_limit():
    keys = sound_keys("艾曲泊帕", folded=False)
    assert "ai qu po pa" in keys and "ai qu bo pa" in keys
    assert keys[0] == "ai qu po pa"  # the commonest readings first
    assert len(sound_keys("长长长长长长长长")) == MAX_SOUNDS


def test_chinese_same_sound_misspellings_find_the_word(archive_words):
    for typed in ("艾曲波帕", "艾曲泊怕"):
        (found,) = suggestions(typed, archive_words)
        assert (found.word, found.how, found.typed) == ("艾曲泊帕", "sound", typed)
    assert words(suggestions("罗米斯亭", archive_words)) == ["罗米司亭"]
    assert words(suggestions("地赛米松", archive_words)) == ["地塞米松"]


def test_chinese_fuzzy_initials_and_finals_find_the_word(archive_words):
    (found,) = suggestions("环孢术", archive_words)  # shu for su
    assert (found.word, found.how) == ("环孢素", "similar sound")
    assert words(suggestions("宾种球蛋白", archive_words)) == ["丙种球蛋白"]  # bin for bing
    assert words(suggestions("利妥昔单抗", MemoryLexicon([Entry("尼妥昔单抗", 3)]))) == ["尼妥昔单抗"]  # l for n


def test_four_characters_and_more_may_have_one_character_wrong_whatever_its_sound(archive_words):
    (found,) = suggestions("利妥昔单林", archive_words)  # lin is not kang
    assert (found.word, found.how) == ("利妥昔单抗", "one character")
    assert words(suggestions("利妥昔单坑", archive_words)) == ["利妥昔单抗"]  # keng (坑 also reads kang)
    assert words(suggestions("丁曲泊帕", archive_words)) == ["艾曲泊帕", "海曲泊帕"]  # the first character wrong
    assert suggestions("环孢木", archive_words) == []  # three characters: one wrong is too far
    assert suggestions("利妥昔抗单", archive_words) == []  # two wrong


def test_english_within_one_edit_or_two_from_nine_letters(archive_words):
    assert words(suggestions("eltrombopg", archive_words)) == ["eltrombopag"]
    assert words(suggestions("romiplostin", archive_words)) == ["romiplostim"]
    assert words(suggestions("romiplsotim", archive_words)) == ["romiplostim"]  # two letters swapped: one edit
    assert words(suggestions("ritximab", archive_words)) == ["rituximab"]  # 8 letters, one edit
    assert suggestions("rtximab", archive_words) == []  # 7 letters, two edits: too far
    assert words(suggestions("dexametasne", archive_words)) == ["dexamethasone"]  # 11 letters, two edits
    assert words(suggestions("romiplstin", archive_words)) == ["romiplostim"]  # 10 letters, two edits
    assert suggestions("dexamthsne", archive_words) == []  # three edits


def test_a_prefix_is_not_a_misspelling(archive_words):
    assert suggestions("eltrombo", archive_words) == []


def test_edit_limits():
    assert [edit_limit("a" * n) for n in (3, 8, 9, 15)] == [1, 1, 2, 2]
    assert edits("romiplostim", "romiplsotim", 1) == 1
    assert edits("abcdef", "badcfe", 1) == 2  # beyond the limit: limit + 1
    assert one_character_apart("利妥昔单抗", "利妥昔单坑") and not one_character_apart("利妥昔单抗", "利妥昔单抗")


def test_the_term_itself_and_words_no_article_holds_are_never_suggested():
    lexicon = MemoryLexicon([Entry("eltrombopag", 5), Entry("eltrombopak", 0)])
    assert suggestions("eltrombopag", lexicon) == []
    assert words(suggestions("eltrombopac", lexicon)) == ["eltrombopag"]


def test_ranked_closest_then_vocabulary_then_most_articles_at_most_three():
    lexicon = MergedLexicon(
        MemoryLexicon([Entry("dogs", 5), Entry("dog", 50), Entry("doge", 500), Entry("dgoz", 1), Entry("dos", 900)]),
        MemoryLexicon([Entry("dogs", 0, vocabulary=True)]),
    )
    found = suggestions("dogz", lexicon)
    assert words(found) == ["dogs", "doge", "dog"]  # one edit each; dgoz beyond three, dos two edits away
    assert found[0].vocabulary and found[0].articles == 5  # the vocabulary's name, with the archive's count
    assert [s.word for s in suggestions("dogz", lexicon, limit=5)] == ["dogs", "doge", "dog", "dgoz"]


def test_same_sound_ranks_above_similar_sound_above_one_character():
    lexicon = MemoryLexicon([Entry("环孢素", 1), Entry("环孢树", 100), Entry("还包素", 50)])
    found = suggestions("环孢苏", lexicon)  # su: 素 exactly, 树 (shu) fuzzily, 还包素 (huan bao su) exactly
    assert [(s.word, s.how) for s in found] == [("还包素", "sound"), ("环孢素", "sound"), ("环孢树", "similar sound")]


def test_one_character_is_never_corrected(archive_words):
    assert suggestions("板", MemoryLexicon([Entry("版", 10)])) == []
    assert suggestions("pl", MemoryLexicon([Entry("pla", 10)])) == []


def test_the_vocabulary_suggests_its_names():
    lexicon = vocabulary_lexicon()
    assert words(suggestions("艾曲波帕", lexicon))[0] == "艾曲泊帕"
    assert words(suggestions("罗米斯亭", lexicon)) == ["罗米司亭"]
    assert words(suggestions("romiplostin", lexicon)) == ["romiplostim"]
    assert words(suggestions("revolad", lexicon)) == ["revolade"]  # a brand, case-folded as queries are
    assert all(s.vocabulary for s in suggestions("eltrombopg", lexicon))


def test_indexable_words_are_han_words_and_english_words_of_the_segmented_columns():
    found = indexable_words("艾曲泊帕 治疗 的 itp", "cd4+cd25+ 10^9/l igg1 tpo-ra platelets 血小板", None, "")
    assert found == {"艾曲泊帕", "治疗", "itp", "platelets", "血小板"}


def test_typed_words_leave_out_phrases_prefixes_exclusions_and_operators():
    text = '艾曲波帕 -激素 NOT 儿童 "罗米斯亭 减少" title:利妥昔单坑 eltrombo* (romiplostin OR nplat) AND x'
    assert typed_words(text) == ["艾曲波帕", "利妥昔单坑", "romiplostin", "nplat", "x"]
    assert typed_words("a NOT (b (c) d) e -(f) g - h") == ["a", "e", "g"]
    assert typed_words('title:"b" -"c" title: d') == ["d"]


def test_spans_of_a_han_run_are_the_whole_run_then_its_stretches_of_single_characters():
    assert spans(["艾", "曲", "泊", "怕"])[:2] == ["艾曲泊怕", "艾曲泊"]
    found = spans(["基", "素", "治疗"])
    assert found == ["基素治疗", "基素", "素治疗"]
    assert spans(["血小板", "治疗"]) == ["血小板治疗"]  # no single character: only the run


def test_term_pieces():
    assert term_pieces("新诊断itp") == ["新诊断", "itp"]
    assert term_pieces("10^9/l") == []


def test_the_pinyin_table_is_read_without_importing_pypinyin(monkeypatch):
    """Importing pypinyin loads its phrase dictionary too (0.5 s): a suggestion reads the table alone."""
    spelling._pinyin_table.cache_clear()
    syllables.cache_clear()
    for name in [name for name in sys.modules if name == "pypinyin" or name.startswith("pypinyin.")]:
        monkeypatch.delitem(sys.modules, name)
    assert sound_keys("罗米司亭", folded=False)[0] == "luo mi si ting"
    assert "pypinyin" not in sys.modules
