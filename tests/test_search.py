import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itp6crawl.query import parse
from itp6crawl.search import (
    ArchiveError,
    ArchiveMissing,
    QueryError,
    _Matches,
    _rank_from_lists_alone,
    search,
    search_notes,
    snippet,
    zh_snippet,
    zh_snippet_matches,
)
from itp6crawl.store import Archive, Segments
from itp6crawl.store.toplists import TopList
from itp6crawl.text import default_segmenter, normalise, segment_article, with_joined_terms


@pytest.fixture
def db(tmp_path, article_factory, fetch_time):
    path = tmp_path / "itp6.db"
    seg = default_segmenter()
    articles = [
        article_factory(1, title="艾曲泊帕用药经验", body_text="服用艾曲泊帕后血小板回升。"),
        article_factory(2, title="激素治疗记录", body_text="地塞米松冲击后又用了艾曲泊帕，IgG1 偏高。"),
        article_factory(3, title="CD4+CD25+ 调节性T细胞", body_text="研究发现 CD4+CD25+ 细胞减少。"),
        article_factory(4, title="脾切除之后", body_text="術後血小板穩定。"),  # Traditional characters
    ]
    with Archive.open(path) as archive:
        for article in articles:
            segments = Segments(
                seg.index_text(article.title),
                seg.index_text(article.body_text),
                seg.extra_text(article.title + article.body_text),
            )
            archive.articles.save(article, segments, fetch_time)
    return path


def test_chinese_query_title_matches_rank_first(db):
    hits = search(db, "艾曲泊帕")
    assert [hit.id for hit in hits] == [1, 2]
    assert hits[0].snippet[slice(*hits[0].snippet_matches[0])] == "艾曲泊帕"


def test_english_terms_and_case(db):
    assert [hit.id for hit in search(db, "igg1")] == [2]
    assert [hit.id for hit in search(db, "CD4+CD25+")] == [3]


def test_all_tokens_required(db):
    assert [hit.id for hit in search(db, "地塞米松 艾曲泊帕")] == [2]


def test_simplified_query_finds_traditional_text(db):
    assert [hit.id for hit in search(db, "术后 稳定")] == [4]


def test_search_mode_sub_words_give_recall(db):
    assert 4 in [hit.id for hit in search(db, "切除")]


@pytest.mark.parametrize("query", ['"', "AND", "OR (", "*", "NEAR(", "title_seg:x", "-", "NEAR(a b)", "艾曲泊帕 OR ("])
def test_hostile_queries_give_results_or_one_clear_error(db, query):
    try:
        search(db, query)
    except QueryError as error:
        assert str(error).startswith("nothing to search for")


def test_query_language_or_exclusion_phrase_and_title(db):
    ids = lambda q: {hit.id for hit in search(db, q)}  # noqa: E731
    assert ids("艾曲泊帕 OR igg1") == ids("艾曲泊帕") | ids("igg1")
    assert ids("艾曲泊帕 -地塞米松") == ids("艾曲泊帕") - ids("地塞米松")
    assert ids("title:艾曲泊帕") <= ids("艾曲泊帕")
    assert ids('"术后 稳定"') <= ids("术后 稳定")


def test_filters_sort_offset_and_total(db):
    everything = search(db, "艾曲泊帕 OR igg1 OR 切除", limit=100)
    assert everything.total == len(everything) >= 2
    page = search(db, "艾曲泊帕 OR igg1 OR 切除", limit=1, offset=1)
    assert page.total == everything.total and [hit.id for hit in page] == [everything[1].id]
    newest = search(db, "艾曲泊帕 OR igg1 OR 切除", sort="newest", limit=100)
    dates = [hit.published_at for hit in newest]
    assert dates == sorted(dates, reverse=True)
    with pytest.raises(ValueError, match="sort must be one of"):
        search(db, "艾曲泊帕", sort="random")


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveMissing, match="no archive at"):
        search(tmp_path / "none.db", "x")


def test_snippet_centres_on_the_term():
    text = "开头" * 100 + "艾曲泊帕" + "结尾" * 100
    out = snippet(text, ["艾曲泊帕"], width=40).marked()
    assert "【艾曲泊帕】" in out and out.startswith("…") and out.endswith("…")


def test_disease_name_inside_a_longer_dictionary_word_is_found(tmp_path, article_factory, fetch_time):
    path = tmp_path / "a.db"
    seg = default_segmenter()
    texts = {1: "确诊原发免疫性血小板减少症已经五年。", 2: "免疫性血小板减少症的治疗选择。", 3: "与此无关的内容。"}
    with Archive.open(path) as archive:
        for post_id, body in texts.items():
            article = article_factory(post_id, title=f"第{post_id}篇", body_text=body, related=[], prev=None)
            archive.articles.save(
                article, Segments(seg.index_text(article.title), seg.index_text(body), seg.extra_text(body)), fetch_time
            )
    for query in ("血小板减少症", "免疫性血小板减少症", "血小板"):
        assert {hit.id for hit in search(path, query)} == {1, 2}, query


def test_highlights_never_nest():
    out = snippet("服用艾曲泊帕后血小板回升", ["艾曲泊帕", "泊", "帕", "血小板", "小板"]).marked()
    assert out == "服用【艾曲泊帕】后【血小板】回升"


@pytest.mark.parametrize("folder", ["a#b", "c?d", "空 格"])
def test_paths_with_uri_characters_open_the_right_file(db, tmp_path, folder):
    target = tmp_path / folder / "itp6.db"
    target.parent.mkdir()
    target.write_bytes(db.read_bytes())
    assert search(target, "艾曲泊帕")


def test_a_file_that_is_not_an_archive_is_a_clear_error(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(ArchiveError, match="not a readable itp6crawl archive"):
        search(other, "x")


def test_filters_by_category_tag_author_and_date(db):
    query = "艾曲泊帕 OR igg1 OR 切除 OR cd4+cd25+"
    every = {hit.id for hit in search(db, query)}
    assert len(every) == 4
    assert {hit.id for hit in search(db, query, category="治疗过程分享")} == every
    assert not search(db, query, category="科研动态")
    assert {hit.id for hit in search(db, query, tag="itp")} == every  # tags compare case-insensitively
    assert {hit.id for hit in search(db, query, author="小林")} == every and not search(db, query, author="x")
    assert {hit.id for hit in search(db, query, since="2024-06-02", until="2024-06-02")} == every
    assert not search(db, query, since="2024-06-03") and not search(db, query, until="2024-06-01")


def test_a_word_in_the_title_outranks_the_same_word_repeated_in_a_body(tmp_path, article_factory, fetch_time):
    """The title's bm25 weight (10) at work: one title mention beats three body mentions."""
    path = tmp_path / "itp6.db"
    seg = default_segmenter()
    articles = [
        article_factory(1, title="激素治疗记录", body_text="地塞米松、地塞米松,又是地塞米松。" + "复查正常。" * 20),
        article_factory(2, title="地塞米松冲击之后", body_text="复查正常。" * 21),
    ]
    with Archive.open(path) as archive:
        for article in articles:
            segments = Segments(seg.index_text(article.title), seg.index_text(article.body_text), "")
            archive.articles.save(article, segments, fetch_time)
    assert [hit.id for hit in search(path, "地塞米松")] == [2, 1]


def test_zh_snippet_highlights_a_query_and_forgives_what_is_no_query():
    """The plugins' SQL function: query-language terms highlighted; no query, a query with nothing to
    search for, or no body give a plain snippet, never an error."""
    body = "确诊后服用艾曲泊帕三个月，血小板升到八十。"
    assert zh_snippet(body, "艾曲泊帕 OR 地塞米松") == "确诊后服用【艾曲泊帕】三个月，血小板升到八十。"
    assert zh_snippet(body, "-激素") == zh_snippet(body, None) == body
    assert zh_snippet(None, "艾曲泊帕") == ""


def test_snippet_window_starts_a_third_of_its_width_before_the_first_term_and_folds_whitespace():
    text = "甲" * 30 + "艾曲泊帕\n\n 乙" + "乙" * 100
    assert snippet(text, ["艾曲泊帕"], width=30).marked() == "…" + "甲" * 10 + "【艾曲泊帕】 " + "乙" * 13 + "…"
    assert snippet("甲" * 80, []).text == "甲" * 80  # the whole text: no ellipsis either side
    assert snippet("甲" * 81, []).text == "甲" * 80 + "…"


@pytest.mark.parametrize(
    ("text", "terms", "starts"),
    [
        ("艾曲泊帕" + "乙" * 100 + "艾曲泊帕" + "丙" * 100, ["艾曲泊帕"], "【艾曲泊帕】乙"),  # its first mention
        (
            "乙" * 100 + "艾曲泊帕" + "丙" * 100,
            ["地塞米松", "艾曲泊帕"],
            "…乙乙乙乙乙乙【艾曲泊帕】",
        ),  # a term not there
        ("艾曲泊帕" + "乙" * 100 + "血小板" + "丙" * 100, ["血小板", "艾曲泊帕"], "【艾曲泊帕】乙"),  # at the start
        ("乙" * 100 + "ＩＴＰ患者" + "丙" * 100, ["itp"], "…乙乙乙乙乙乙【ＩＴＰ】患者"),  # full-width, found folded
    ],
)
def test_snippet_shows_the_earliest_term_found(text, terms, starts):
    assert snippet(text, terms, width=20).marked().startswith(starts)


def test_snippet_highlights_ignore_case_and_prefer_the_longest_term():
    assert snippet("确诊ITP五年", ["itp"]).marked() == "确诊【ITP】五年"
    assert snippet("诊断为血小板减少症", ["血小板", "血小板减少症"]).marked() == "诊断为【血小板减少症】"


def test_a_page_holds_twenty_hits_by_default_and_keeps_its_query(replica_archive):
    hits = search(replica_archive, "血小板")
    assert hits.total > 20 and len(hits) == 20
    assert hits.query.terms[0] == "血小板" and [e.concept for e in hits.query.expansions] == ["platelet"]


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_a_hit_carries_its_article_and_a_positive_score(db, sort):
    (hit,) = search(db, "igg1", sort=sort)
    assert (hit.id, hit.url, hit.title, hit.categories) == (
        2,
        "https://www.itp6.com/2.html",
        "激素治疗记录",
        ["治疗过程分享"],
    )
    assert hit.published_at.startswith("2024-06-02") and hit.score > 0
    assert [hit.snippet[start:end] for start, end in hit.snippet_matches] == ["IgG1"]


# --------------------------------------------------------------------------- ranking from the top lists alone


def _lists(a: dict[int, float], b: dict[int, float], threshold: float = 1.0) -> dict[str, TopList]:
    return {"a": TopList(a, threshold, len(a)), "b": TopList(b, threshold, len(b))}


def _ranked(lists, wanted, *, gone=(), connection=None):
    matches = _Matches(condition="", filters=[], params={}, all_live=not gone)
    if connection is None:
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, status TEXT)")
        ids = set().union(*(top.scores for top in lists.values()))
        connection.executemany(
            "INSERT INTO articles VALUES (?, ?)", [(i, "gone" if i in gone else "live") for i in sorted(ids)]
        )
    return _rank_from_lists_alone(connection, ["a", "b"], lists, matches, wanted)


def test_lists_answer_only_when_no_article_outside_both_lists_could_score_higher():
    # Article 1 is in both lists (5.2). Article 3 is in one list only: with the other list's threshold it
    # could reach 1.0 + 4.5 = 5.5, above 5.2, so the lists cannot prove article 1 the best.
    assert _ranked(_lists({1: 2.6, 2: 4.0}, {1: 2.6, 3: 4.5}), 1) is None
    assert _ranked(_lists({1: 2.75, 2: 4.0}, {1: 2.75, 3: 4.5}), 1) is None  # a tie with the bound: unproven
    assert _ranked(_lists({1: 5.0, 2: 1.5}, {1: 5.0, 3: 1.5}), 1) == [(1, -10.0)]
    assert _ranked(_lists({1: 5.0, 2: 1.5}, {1: 5.0, 3: 1.5}), 2) is None  # only one article proven


def test_lists_skip_gone_articles_and_keep_the_best_first():
    scores = {1: 6.0, 2: 5.0, 3: 4.0, 4: 3.0, 5: 2.0, 6: 1.5}
    lists = _lists(scores, scores, threshold=0.0)
    assert _ranked(lists, 2, gone={2}) == [(1, -12.0), (3, -8.0)]
    assert _ranked(lists, 2, gone={1, 2}) == [(3, -8.0), (4, -6.0)]  # the first four hold exactly two
    assert _ranked(lists, 2, gone={1, 2, 3, 4, 5}) is None


# --------------------------------------------------------------------------- highlights that are never text


def test_a_snippet_is_the_text_as_written_with_the_offsets_of_its_matches():
    """The site writes 【解读】 and 【指南原文】 itself: a snippet keeps them as text, and only the offsets say
    where the query matched."""
    body = "【解读】服用艾曲泊帕后【指南原文】建议复查"
    found = snippet(body, ["艾曲泊帕"])
    assert found.text == body and found.matches == [(6, 10)]
    assert list(found.parts()) == [("【解读】服用", False), ("艾曲泊帕", True), ("后【指南原文】建议复查", False)]


def test_zh_snippet_marks_only_matches_whatever_the_text_holds():
    body = "【解读】服用艾曲泊帕后【指南原文】建议复查"
    # The default 【】 marks: the site's own brackets are shown as 〖〗, so every 【】 left is a hit.
    assert zh_snippet(body, "艾曲泊帕") == "〖解读〗服用【艾曲泊帕】后〖指南原文〗建议复查"
    # Markers of the caller's choice, e.g. private-use characters for HTML: the text keeps its 【】,
    # and the markers' own occurrences in the text are dropped.
    assert (
        zh_snippet(body + "\ue000", "艾曲泊帕", "\ue000", "\ue001")
        == "【解读】服用\ue000艾曲泊帕\ue001后【指南原文】建议复查"
    )
    assert zh_snippet(body, "解读") == "【【解读】】服用艾曲泊帕后〖指南原文〗建议复查".replace("【【", "〖【").replace(
        "】】", "】〗"
    )
    found = zh_snippet_matches(body, "解读 OR 复查")
    assert found.text == body and [body[start:end] for start, end in found.matches] == ["解读", "复查"]


def test_english_matches_are_whole_words_in_any_inflection():
    text = "Two researches on platelets; plateletpheresis differs. The Research Group."
    found = snippet(text, ["research", "platelet"])
    assert [found.text[start:end] for start, end in found.matches] == ["researches", "platelets", "Research"]
    prefixed = zh_snippet_matches("Treated with eltrombopag (Eltrombopag olamine).", "eltrombo*")
    assert [prefixed.text[start:end] for start, end in prefixed.matches] == ["eltrombopag", "Eltrombopag"]
    terms = zh_snippet_matches(
        "CD4+CD25+ 细胞，TPO-RA 停药，血小板 30×10^9/L，IgG1 偏高", "CD4+CD25+ TPO-RA 10^9/L igg1"
    )
    assert [terms.text[start:end] for start, end in terms.matches] == ["CD4+CD25+", "TPO-RA", "10^9/L", "IgG1"]


def test_matches_keep_their_place_when_folding_changes_lengths():
    found = snippet("每日 5㎎ 艾曲泊帕，ＩＴＰ患者", ["艾曲泊帕", "itp"])
    assert [found.text[start:end] for start, end in found.matches] == ["艾曲泊帕", "ＩＴＰ"]


def test_the_search_table_styles_matches_instead_of_bracketing_them():
    """`itp6crawl search` in a terminal: matches in bold reverse; the text keeps its own brackets."""
    from rich.console import Console

    from itp6crawl.cli import _hit_line
    from itp6crawl.search import Hit

    body = "【解读】服用艾曲泊帕后"
    found = snippet(body, ["艾曲泊帕"])
    hit = Hit(1, "https://www.itp6.com/1.html", "标题", None, [], 1.0, found.text, found.matches)
    cell = _hit_line(hit)["title and snippet"]
    assert cell.plain == "标题\n【解读】服用艾曲泊帕后"
    styled = [(cell.plain[span.start : span.end], str(span.style)) for span in cell.spans]
    assert ("艾曲泊帕", "bold reverse") in styled and not any("解读" in text for text, _ in styled)
    console = Console(force_terminal=True, color_system="standard", width=80)
    with console.capture() as captured:
        console.print(cell)
    assert "\x1b[" in captured.get() and "【艾曲泊帕】" not in captured.get()


# --------------------------------------------------------------------------- English stems


@pytest.fixture
def english_db(tmp_path, article_factory, fetch_time):
    path = tmp_path / "english.db"
    seg = default_segmenter()
    bodies = {
        1: "A research letter on platelets and TPO-RA dosing.",
        2: "Two researches studied the platelet count, 30×10^9/L at entry.",
        3: "Researching ITP in children treated with eltrombopag; CD4+CD25+ cells and IgG1.",
        4: "与此无关的内容。",
    }
    with Archive.open(path) as archive:
        for post_id, body in bodies.items():
            article = article_factory(post_id, title=f"第{post_id}篇", body_text=body, related=[], prev=None)
            segments = Segments(seg.index_text(article.title), seg.index_text(body), "")
            archive.articles.save(article, segments, fetch_time)
    return path


def test_english_plural_and_verb_forms_find_each_other(english_db):
    ids = lambda q: {hit.id for hit in search(english_db, q)}  # noqa: E731
    for query in ("research", "researches", "Researching", "researched"):
        assert ids(query) == {1, 2, 3}, query
    assert ids("platelets") == ids("platelet") == {1, 2}
    assert ids("researches -platelets") == {3}
    assert ids("resear*") == {1, 2, 3}


def test_technical_terms_stay_findable_with_stems(english_db):
    ids = lambda q: {hit.id for hit in search(english_db, q)}  # noqa: E731
    assert ids("IgG1") == ids("CD4+CD25+") == ids("eltrombo*") == ids("ITP") == {3}
    assert ids("TPO-RA") == {1} and ids("10^9/L") == {2}
    (hit,) = search(english_db, "researches eltrombopag")
    assert [hit.snippet[start:end] for start, end in hit.snippet_matches] == ["Researching", "eltrombopag"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="血小板艾曲泊帕治疗 itpITP…㎎\n【】ＩＴＰ-+", max_size=160),
    terms=st.lists(st.sampled_from(["血小板", "itp", "艾曲泊帕", "板", "治疗"]), max_size=3),
)
def test_snippet_matches_are_in_order_apart_and_each_a_query_word(text, terms):
    found = snippet(text, terms, width=30)
    # Whitespace folded, as before: single spaces only (the text may hold an ellipsis of its own: "I …").
    assert "  " not in found.text and not any(space in found.text for space in "\n\t\r")
    end = 0
    for start, stop in found.matches:
        assert end <= start < stop <= len(found.text)
        end = stop
        assert any(normalise(found.text[start:stop]) in term for term in terms)  # (a match cut by the window: part)
    assert "".join(part for part, _ in found.parts()) == found.text


# --------------------------------------------------------------------------- issue [11]: a concept's names


@pytest.mark.parametrize("typed", ["eltrombopag", "Revolade", "PROMACTA", "艾曲泊帕"])
def test_any_name_of_a_drug_finds_the_articles_that_write_another(db, typed):
    hits = search(db, typed)
    assert [hit.id for hit in hits] == [1, 2]  # the title match first, as for 艾曲泊帕 itself
    assert hits[0].snippet[slice(*hits[0].snippet_matches[0])] == "艾曲泊帕"  # the name found is highlighted


def test_exact_searches_only_the_words_typed(db):
    hits = search(db, "eltrombopag", exact=True)
    assert hits.total == 0 and hits.query.expansions == []
    assert [hit.id for hit in search(db, '"eltrombopag"')] == []  # quoted: the same


def test_expansion_never_loses_an_exact_hit(replica_archive):
    for query in ["血小板低", "激素", "ITP", "丙球", "TPO-RA", "脾切除"]:
        exact = {hit.id for hit in search(replica_archive, query, exact=True, limit=1000)}
        expanded = search(replica_archive, query, limit=1000)
        assert exact <= {hit.id for hit in expanded} and expanded.total >= len(exact), query


# --------------------------------------------------------------------------- issue [11]: did you mean


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("艾曲波帕", "艾曲泊帕"), ("罗米斯亭", "罗米司亭"), ("eltrombopg", "eltrombopag"), ("romiplostin", "romiplostim")],
)
def test_a_misspelt_drug_is_searched_as_meant_and_said(replica_archive, typed, meant):
    hits = search(replica_archive, typed, limit=5)
    meant_hits = search(replica_archive, meant, limit=5)
    assert hits.total == meant_hits.total > 0 and [hit.id for hit in hits] == [hit.id for hit in meant_hits]
    assert [correction.texts[0] for correction in hits.corrections] == [meant]
    assert f"did you mean: {meant}? (searched too)" in search_notes(hits)


def test_a_word_that_finds_articles_is_never_corrected(replica_archive):
    hits = search(replica_archive, "艾曲泊帕")
    assert hits.total >= 3 and hits.corrections == []


def test_exact_makes_no_correction(replica_archive):
    hits = search(replica_archive, "艾曲波帕", exact=True)
    assert hits.total == 0 and hits.corrections == []


def test_a_correction_keeps_the_word_as_typed_and_the_other_words(replica_archive):
    hits = search(replica_archive, "罗米斯亭 儿童", limit=1000)
    assert {hit.id for hit in hits} == {hit.id for hit in search(replica_archive, "罗米司亭 儿童", limit=1000)}
    assert hits.query.text == "(罗米斯亭 OR 罗米司亭) 儿童"  # the word as typed is still searched


# --------------------------------------------------------------------------- issue [11]: common words


def test_a_word_in_nearly_every_article_ranks_by_where_and_how_much_it_is_used(tmp_path, article_factory, fetch_time):
    """FTS5's bm25 clamps the idf of a word in more than half the articles to 1e-6, which scales all of that
    word's scores alike: the order is still by where (title first) and how often the word is used, never
    by row id. Articles are saved best last, so the row id order is the worst one."""
    filler = "患者复查了一次，医生建议继续观察，按时服药，注意休息。"
    bodies = {  # 20 articles; 血小板 in 19 of them (95%)
        "title": ("血小板回升了", filler * 3 + "血小板"),
        "body x4": ("复查记录", filler * 3 + "血小板" * 4),
        "body x2": ("复查记录", filler * 3 + "血小板" * 2),
        "body x1": ("复查记录", filler * 3 + "血小板"),
    }
    order = ["body x1"] * 15 + ["body x2", "body x4", "title"]
    path = tmp_path / "common.db"
    seg = default_segmenter()
    with Archive.open(path) as archive:
        for number, kind in enumerate(["none", *order, "title"], 1):
            title, body = bodies.get(kind, ("饮食记录", filler * 3))
            article = article_factory(number, title=title, body_text=body)
            segments = Segments(seg.index_text(title), seg.index_text(body), seg.extra_text(title + body))
            archive.articles.save(article, segments, fetch_time)
    hits = search(path, "血小板", limit=20, exact=True)
    assert hits.total == 19
    ranked = [hit.id for hit in hits]
    assert set(ranked[:2]) == {19, 20} and ranked[2:4] == [18, 17]  # titles, then 4 times, then twice
    assert ranked[4:] == sorted(ranked[4:]) and all(hit.score > 0 for hit in hits)  # once each: ties by id
    assert hits[0].score > hits[2].score > hits[3].score > hits[4].score


@pytest.fixture(scope="module")
def names_as_phrases_archive(replica_archive, tmp_path_factory):
    """The replica archive as a reader with another vocabulary sees it: its concept tokens unused, the names
    searched as phrases and the rare ones ranked apart (``search._page_with_names``)."""
    import shutil

    path = tmp_path_factory.mktemp("phrases") / "itp6.db"
    shutil.copy(replica_archive, path)
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM search_features WHERE name LIKE 'concept_terms:%'")
    return path


EXPANDED = ["eltrombopag", "血小板低", "ITP 儿童", "title:ITP", "丙球", "激素", "TPO-RA 艾曲泊帕", "PAIgG"]


@pytest.mark.parametrize("archive", ["replica_archive", "names_as_phrases_archive"])
@pytest.mark.parametrize("query", EXPANDED)
@pytest.mark.parametrize(("limit", "offset"), [(5, 0), (3, 4), (100, 0)])
def test_an_expanded_query_ranks_and_counts_as_ranking_every_match(request, archive, query, limit, offset):
    """Concept tokens, or the typed words' fast paths with the articles holding a rare name merged: the
    page and total of ranking every match of the whole expanded expression."""
    from itp6crawl.query import parse
    from itp6crawl.search import index_options
    from itp6crawl.store.toplists import BM25

    path = request.getfixturevalue(archive)
    with sqlite3.connect(path) as connection:
        options = index_options(connection)
        match = parse(query, **options).match  # as the search parses it
        every = connection.execute(
            f"SELECT rowid, -{BM25} FROM articles_fts WHERE articles_fts MATCH ? ORDER BY {BM25}, rowid", (match,)
        ).fetchall()
    assert ("concept_terms" in options) == (archive == "replica_archive")
    hits = search(path, query, limit=limit, offset=offset)
    assert hits.total == len(every) and [hit.id for hit in hits] == [rowid for rowid, _ in every[offset:][:limit]]
    assert [hit.score for hit in hits] == pytest.approx([score for _, score in every[offset:][:limit]])


@pytest.mark.parametrize("query", [*EXPANDED, "IVIG", "Revolade", "特发性血小板减少性紫癜"])
def test_concept_tokens_find_the_articles_the_names_as_phrases_find(replica_archive, names_as_phrases_archive, query):
    """An article holds a concept's token where, and only where, one of its names' phrases matches."""
    tokens = {hit.id for hit in search(replica_archive, query, limit=1000)}
    phrases = {hit.id for hit in search(names_as_phrases_archive, query, limit=1000)}
    assert tokens == phrases and tokens, query


# --------------------------------------------------------------------------- technical terms as tokens

TERM_TEXTS = [
    "TPO-RA 类药物，如 TPO-RAs；另有 TPO RA 与 tpo/ra 的写法。",
    "血小板 30×10^9/L，随后 50 x 10^9/L；10^9 L 也常见。",
    "CD4+CD25+ 调节性T细胞；CD4+ CD25+CD127low；cd4-cd25。",
    "IL-6、IL 6 和 il-6 水平；IFN-γ 升高；Anti-CD20 单抗；anti CD20。",
    "剂量 0.5mg/kg/d，或 1-2mg/kg；p<0.05 有统计学意义。",
    "TPO 与 RA 无关的一句话。RA-TPO 倒过来写。",
]
TERM_QUERIES = [
    "TPO-RA", "TPO-RAs", "tpo/ra", '"TPO-RA"', "10^9/L", "10^9", "CD4+CD25+", "CD25+CD127low", "IL-6",
    "anti-CD20", "0.5mg/kg", "mg/kg/d", "1-2mg/kg", "p<0.05", "RA-TPO", "TPO-RA 血小板", "title:TPO-RA",
    "TPO-RA -CD4+CD25+", "IFN-γ", "a-b-c-d-e",
]  # fmt: skip


@pytest.fixture
def term_db(tmp_path, article_factory, fetch_time):
    path = tmp_path / "terms.db"
    seg = default_segmenter()
    with Archive.open(path) as archive:
        for post_id, body in enumerate(TERM_TEXTS, 1):
            title = "TPO-RA 指南" if post_id == 5 else f"第{post_id}篇"
            article = article_factory(post_id, title=title, body_text=body, related=[], prev=None)
            archive.articles.save(article, segment_article(article, seg), fetch_time)
    return path


def _matches_of(path, match: str) -> set[int]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [match])
        return {row[0] for row in rows}


@pytest.mark.parametrize("query", TERM_QUERIES)
def test_a_technical_term_as_one_token_finds_what_its_phrase_finds(term_db, query):
    phrase, joined = parse(query, expand=False), parse(query, expand=False, joined_terms=True)
    assert _matches_of(term_db, joined.match) == _matches_of(term_db, phrase.match)
    assert {hit.id for hit in search(term_db, query, limit=50, exact=True)} == _matches_of(term_db, phrase.match)
    assert joined.terms == phrase.terms  # highlighting is the term's, as written


def test_technical_terms_are_one_index_token_and_still_highlighted(term_db):
    for query in ("TPO-RA", "CD4+CD25+", "10^9/L"):
        match = parse(query, expand=False, joined_terms=True).match
        assert match.count('"') == 2 and " " not in match and "\ue0f0" in match, match  # one token, no phrase
    hits = search(term_db, "TPO-RA", exact=True)
    assert hits[0].id == 5  # the title's term ranks first: its joined token is in the title's column
    assert {hit.id for hit in hits} == {1, 5}
    first = next(hit for hit in hits if hit.id == 1)
    assert [first.snippet[start:end] for start, end in first.snippet_matches][:3] == ["TPO-RA", "TPO-RAs", "TPO RA"]


def test_an_archive_without_joined_tokens_searches_technical_terms_as_phrases(term_db):
    with sqlite3.connect(term_db) as connection:
        connection.execute("DELETE FROM search_features")  # as an archive whose index lacks them
        connection.execute("UPDATE articles SET title_seg = replace(title_seg, char(57584), ' ')")
        connection.execute("UPDATE articles SET search_extra = replace(search_extra, char(57584), ' ')")
    assert {hit.id for hit in search(term_db, "TPO-RA", exact=True)} == {1, 5}
    assert search(term_db, "TPO-RA", exact=True).query.match == '"tpo-ra"'


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["tpo", "ra", "RAs", "cd4", "10", "9", "l", "x", "治疗", "café", "cafe", "β2"]),
        min_size=1,
        max_size=8,
    ),
    joiners=st.lists(st.sampled_from(["-", "+", "^", "/", ".", " ", "，", "_", "'", "+ "]), min_size=8, max_size=8),
    query=st.lists(st.sampled_from(["tpo", "ra", "cd4", "10", "9", "l", "x", "cafe", "β2"]), min_size=2, max_size=5),
    query_joiner=st.sampled_from(["-", "+", "^", "/", "."]),
)
def test_joined_tokens_of_any_text_match_as_the_phrase_of_their_words(words, joiners, query, query_joiner):
    """Whatever the text around them, an index holding the joined tokens finds a technical term where,
    and only where, the phrase of its words is found (FTS5 itself judges both)."""
    seg = default_segmenter()
    text = "".join(word + joiner for word, joiner in zip(words, joiners, strict=False))
    segments = with_joined_terms(Segments(seg.index_text(text), seg.index_text(text[::-1]), seg.index_text(text)))
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE f USING fts5(title_seg, body_seg, search_extra, tokenize='porter unicode61')"
    )
    connection.execute("INSERT INTO f VALUES (?, ?, ?)", [segments.title_seg, segments.body_seg, segments.search_extra])
    term = query_joiner.join(query)
    found = [
        bool(connection.execute("SELECT count(*) FROM f WHERE f MATCH ?", [parse(term, **kw).match]).fetchone()[0])
        for kw in ({"expand": False}, {"expand": False, "joined_terms": True})
    ]
    assert found[0] == found[1], (text, term, segments)
