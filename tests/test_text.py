import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itp6crawl.text import (
    Segmenter,
    default_segmenter,
    normalise,
    normalise_with_origin,
    porter_stem,
    read_user_dictionary,
    segment_article,
)


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return default_segmenter()


def test_user_dictionary_keeps_drug_names_whole(seg):
    tokens = seg.tokens("服用艾曲泊帕和罗米司亭，再用利妥昔单抗与丙种球蛋白，间充质干细胞移植，巨核细胞")
    for word in ("艾曲泊帕", "罗米司亭", "利妥昔单抗", "丙种球蛋白", "间充质干细胞", "巨核细胞"):
        assert word in tokens


def test_english_terms_stay_whole_and_case_folded(seg):
    tokens = seg.tokens("CD4+CD25+ CD127low调节性T细胞，IgG1 升高，血小板 30×10^9/L，TPO-RA 2.5mg")
    for term in ("cd4+cd25+", "cd127low", "igg1", "10^9/l", "tpo-ra", "2.5mg"):
        assert term in tokens


def test_traditional_is_folded_to_simplified(seg):
    assert seg.tokens("血小板減少") == seg.tokens("血小板减少")
    assert normalise("醫師ＡＢＣ") == "医师abc"


def test_punctuation_is_not_a_token(seg):
    assert not {"，", "。", "(", ")", " "} & set(seg.tokens("你好，世界。(测试)"))


def test_search_mode_adds_sub_words_for_recall(seg):
    extra = seg.extra_text("免疫性血小板减少症").split()
    assert "血小板" in extra and "免疫" in extra
    assert "免疫性血小板减少症" not in extra  # already a precise token


def test_segment_article_fills_the_three_search_columns(article_factory):
    article = article_factory(title="原发免疫性血小板减少症", body_text="服用艾曲泊帕，IgG1 正常。", summary="摘要文字")
    segments = segment_article(article)
    assert segments.title_seg.split() == default_segmenter().tokens(article.title)
    assert "艾曲泊帕" in segments.body_seg.split() and "igg1" in segments.body_seg.split()
    extra = segments.search_extra.split()
    assert "血小板" in extra  # a dictionary word inside a longer title token, for recall
    assert {"摘要", "治疗", "过程", "分享", "小林"} <= set(extra)  # summary, category, author


def test_user_dictionary_file_errors_are_specific(tmp_path):
    bad = tmp_path / "dict.txt"
    bad.write_text("艾曲泊帕 many n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dict.txt:1: frequency"):
        read_user_dictionary(bad)


def test_custom_user_dictionary(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("# comment\n血小板生成素受体 5000 n\n", encoding="utf-8")
    assert "血小板生成素受体" in Segmenter(words).tokens("血小板生成素受体激动剂")


def test_recall_tokens_include_dictionary_words_inside_long_ones(seg):
    extra = seg.extra_text("原发免疫性血小板减少症").split()
    for word in ("免疫性血小板减少症", "血小板减少症", "血小板"):
        assert word in extra


def test_greek_letters_stay_in_terms(seg):
    tokens = seg.tokens("IFN-γ 和 IFN-α 不同，β2微球蛋白 5µg")
    assert "ifn-γ" in tokens and "ifn-α" in tokens and "β2" in tokens and "5μg" in tokens


def test_extra_text_with_precise_tokens_given_is_the_same(seg):
    title, body = "艾曲泊帕用药", "确诊原发免疫性血小板减少症后服用 TPO-RA。"
    text = f"{title}\n{body}"
    assert seg.extra_text(text, precise_tokens=seg.tokens(title) + seg.tokens(body)) == seg.extra_text(text)


def test_a_new_segmenter_reads_the_packaged_dictionary():
    assert "艾曲泊帕" in Segmenter().tokens("服用艾曲泊帕三个月")


def test_user_dictionary_lines_take_an_optional_frequency_and_tag(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("# comment\n\n艾曲泊帕 5000 n\n罗米司亭\nＴＰＯ受体 20\n", encoding="utf-8")
    assert read_user_dictionary(words) == [("艾曲泊帕", 5000), ("罗米司亭", 1000), ("tpo受体", 20)]
    words.write_text("艾曲泊帕 5000 n\n罗米司亭 n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dict.txt:2: frequency must be a whole number, got 'n'"):
        read_user_dictionary(words)


def test_segment_article_indexes_image_captions_or_else_their_alt_text(article_factory):
    from itp6crawl.records import Image

    images = [Image(src="a.jpg", alt="化验单", caption="复查结果"), Image(src="b.jpg", alt="骨髓穿刺", caption="")]
    segments = segment_article(article_factory(title="复查记录", images=images))
    extra = segments.search_extra.split()
    assert {"结果", "骨髓穿刺"} <= set(extra) and "化验单" not in extra and "xx" not in extra
    assert segments.title_seg == "复查 记录"


def test_unknown_words_are_not_guessed(seg):
    """HMM off: a name the dictionary lacks is indexed character by character, in precise and recall
    tokens alike, so index and query always cut it the same way."""
    assert seg.tokens("林晓雯确诊三年") == ["林", "晓", "雯", "确诊", "三年"]
    assert "林晓雯" not in seg.search_tokens("林晓雯确诊三年")
    assert all(len(token) > 1 for token in seg.extra_text("免疫性血小板减少症").split())


def _one_run_at_a_time(seg: Segmenter, text: str, mode: str) -> list[str]:
    """The segmentation as it was written first: one jieba call per Han run."""
    from itp6crawl.text import _PIECES

    tokens: list[str] = []
    for match in _PIECES.finditer(normalise(text)):
        if match["term"]:
            tokens.append(match["term"])
        elif mode == "precise":
            tokens.extend(seg._jieba.cut(match["han"], False))
        else:
            tokens.extend(seg._jieba.cut_for_search(match["han"], False))
            tokens.extend(word for word in seg._jieba.cut_all(match["han"]) if len(word) > 1)
    return tokens


_MIXED_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["血小板减少症", "艾曲泊帕", "免疫性", "复查", "激素冲击", "脾切除术后", "幹細胞", "的", "了"]),
        st.text(alphabet="血小板减少激素治疗儿童出血医生指南妊娠", min_size=1, max_size=12),
        st.sampled_from(["，", "。", "\n", " ", "CD4+CD25+", "IgG1", "10^9/L", "TPO-RA", "：", "(", "2.5mg", "😀"]),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(_MIXED_TEXT)
def test_han_runs_segmented_in_one_call_give_the_tokens_of_one_call_per_run(text):
    seg = default_segmenter()
    assert seg.tokens(text) == _one_run_at_a_time(seg, text, "precise")
    assert seg.search_tokens(text) == _one_run_at_a_time(seg, text, "recall")


def test_english_only_text_never_loads_the_dictionary():
    seg = Segmenter()
    assert seg.tokens("IgG1 and CD4+CD25+ cells") == ["igg1", "and", "cd4+cd25+", "cells"]
    assert "_jieba" not in seg.__dict__  # the cached property was never computed


def test_the_user_dictionary_is_found_beside_the_module_that_reads_it():
    """Not by the package's name on sys.path, which a folder named itp6crawl in the working directory
    can take over (see test_workers for the crawl that failed on every page)."""
    from pathlib import Path

    import itp6crawl.text

    assert Path(str(itp6crawl.text.USER_DICTIONARY)) == Path(itp6crawl.text.__file__).parent / "data" / "userdict.txt"
    assert itp6crawl.text.USER_DICTIONARY.is_file()


# --------------------------------------------------------------------------- English stems, as FTS5 indexes them


def _fts5_porter(words: list[str]) -> list[str]:
    """What FTS5's ``porter unicode61`` tokenizer stores for each word (one word a row)."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    connection.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", list(enumerate(words, 1)))
    stems = dict(connection.execute("SELECT doc, term FROM v"))
    return [stems[rowid] for rowid in range(1, len(words) + 1)]


_WORD_TEXT = (
    "research researches researched researching researchers platelet platelets counts studies study agreed "
    "hopping hoping caresses ponies ties caress cats feed plastered motoring sing conflated troubled sized "
    "hopping tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci "
    "hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization predication "
    "operator feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate "
    "formative formalize electriciti electrical hopeful goodness revival allowance inference airliner "
    "gyroscopic adjustable defensible irritant replacement adjustment dependent adoption homologou "
    "communism activate angulariti homologous effective bowdlerize probate rate cease controll roll "
    "ies sses sss yyy eed ing aed eing bying syed cd4 cd25 igg1 tpo ra itp ivig 10 9 l eltrombopag "
    "eltrombo haematologica paigg 5mg μg μgs β2 ifn γ 血小板 血小板s 艾曲泊帕 abilities generalizations"
)
_WORDS = _WORD_TEXT.split()


def test_english_words_stem_as_fts5s_porter_tokenizer_stems_them():
    assert [porter_stem(word) for word in _WORDS] == _fts5_porter(_WORDS)
    assert porter_stem("researches") == porter_stem("research") == "research"
    for term in ("cd4", "cd25", "igg1", "tpo", "ra", "itp", "eltrombopag", "血小板"):  # technical terms whole
        assert porter_stem(term) == term


_TOKEN_TEXT = st.one_of(
    st.text(alphabet="abcdeilmnorstuvyzw0123456789", min_size=1, max_size=70),
    st.tuples(
        st.text(alphabet="abcdefghilmnoprstuvwxyz", min_size=0, max_size=9),
        st.sampled_from(["s", "es", "ies", "sses", "ed", "eed", "ing", "y", "ational", "izer", "ement", "ll", "e"]),
    ).map("".join),
    st.text(alphabet="aeiouysμβ血板", min_size=1, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKEN_TEXT, min_size=1, max_size=30))
def test_any_token_stems_as_fts5_stems_it(words):
    assert [porter_stem(word) for word in words] == _fts5_porter(words)


def test_folding_keeps_the_place_of_every_character_in_the_original_text():
    for text in ("ＩＴＰ患者", "治療ⅡA期 ﬁbrin ㎎", "Straße Ⅻ", "plain text", ""):
        folded, places = normalise_with_origin(text)
        origin = list(places)
        assert len(origin) == len(folded)
        assert all(0 <= place < max(len(text), 1) for place in origin)
        assert origin == sorted(origin)
    folded, places = normalise_with_origin("ＩＴＰ患者")
    assert folded == "itp患者" and list(places) == [0, 1, 2, 3, 4]
    folded, places = normalise_with_origin("5㎎ 每日，……幹細胞")
    assert folded == "5mg 每日,......干细胞" and list(places) == [0, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 9, 10]


# --------------------------------------------------------------------------- issue [11]: queries without rjieba


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory):
    from itp6crawl.text import PrebuiltDictionary

    entries = default_segmenter()._entries
    dictionary = PrebuiltDictionary.open(entries, cache=tmp_path_factory.mktemp("cache"))
    assert dictionary is not None and dictionary.path.exists()
    return dictionary


def test_the_prebuilt_dictionary_cuts_the_replicas_texts_as_rjieba_does(prebuilt):
    from itp6crawl.replica import build_site
    from itp6crawl.text import _PIECES

    jieba = default_segmenter()._jieba
    runs = [
        piece["han"]
        for gold in build_site(60, seed=3).gold("https://www.itp6.com")
        for piece in _PIECES.finditer(normalise("\n".join([gold["title"], *gold["body"], *gold["tags"]])))
        if piece["han"]
    ]
    assert len(runs) > 1000
    assert [prebuilt.cut(run) for run in runs] == [jieba.cut(run, False) for run in runs]
    joined = "\n".join(runs[:50])  # several runs at once, as a query's are handed over
    assert prebuilt.cut(joined) == jieba.cut(joined, False)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "艾曲泊帕",
                "血小板",
                "减少",
                "激素",
                "冲击",
                "儿童",
                "的",
                "了",
                "免疫性血小板减少症",
                "小板",
                "性",
                "治疗",
                "副作用",
                "干细胞",
                "骨髓",
                "穿刺",
                "术后",
                "板",
            ]
        ),
        min_size=1,
        max_size=8,
    ),
    st.randoms(),
)
def test_the_prebuilt_dictionary_cuts_any_words_as_rjieba_does(prebuilt, words, random):
    text = "".join(words)
    shuffled = "".join(random.sample(text, len(text)))
    jieba = default_segmenter()._jieba
    assert prebuilt.cut(text) == jieba.cut(text, False) and prebuilt.cut(shuffled) == jieba.cut(shuffled, False)


def test_a_query_is_segmented_without_building_rjiebas_dictionary(tmp_path, monkeypatch):
    monkeypatch.setenv("ITP6CRAWL_CACHE_DIR", str(tmp_path))
    segmenter = Segmenter()
    assert segmenter.tokens("艾曲泊帕的副作用 TPO-RA") == default_segmenter().tokens("艾曲泊帕的副作用 TPO-RA")
    assert "_jieba" not in segmenter.__dict__  # rjieba's dictionary was never built
    assert list(tmp_path.glob("jieba-dictionary-*.sqlite"))  # built once, then opened


def test_without_a_cache_folder_rjieba_segments(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ITP6CRAWL_CACHE_DIR", str(blocked))
    segmenter = Segmenter()
    assert segmenter.tokens("艾曲泊帕的副作用") == default_segmenter().tokens("艾曲泊帕的副作用")
    assert "_jieba" in segmenter.__dict__
