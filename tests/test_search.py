import pytest

from itp6crawl.search import ArchiveMissing, search, snippet, summary
from itp6crawl.store import Archive, Segments
from itp6crawl.text import default_segmenter


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
            archive.save_article(article, segments, fetch_time)
    return path


def test_chinese_query_title_matches_rank_first(db):
    hits = search(db, "艾曲泊帕")
    assert [hit.id for hit in hits] == [1, 2]
    assert "【艾曲泊帕】" in hits[0].snippet


def test_english_terms_and_case(db):
    assert [hit.id for hit in search(db, "igg1")] == [2]
    assert [hit.id for hit in search(db, "CD4+CD25+")] == [3]


def test_all_tokens_required(db):
    assert [hit.id for hit in search(db, "地塞米松 艾曲泊帕")] == [2]


def test_simplified_query_finds_traditional_text(db):
    assert [hit.id for hit in search(db, "术后 稳定")] == [4]


def test_search_mode_sub_words_give_recall(db):
    assert 4 in [hit.id for hit in search(db, "切除")]


@pytest.mark.parametrize("query", ['"', "AND", "OR (", "*", "NEAR(", "title_seg:x", "-"])
def test_hostile_queries_never_raise(db, query):
    search(db, query)


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveMissing, match="no archive at"):
        search(tmp_path / "none.db", "x")


def test_summary_counts(db):
    assert summary(db)["articles"] == 4


def test_snippet_centres_on_the_term():
    text = "开头" * 100 + "艾曲泊帕" + "结尾" * 100
    out = snippet(text, ["艾曲泊帕"], width=40)
    assert "【艾曲泊帕】" in out and out.startswith("…") and out.endswith("…")
