import sqlite3
from datetime import timedelta

import pytest
import sqlite_utils
from conftest import make_article

from itp6crawl.query import parse
from itp6crawl.store import Archive, migrations
from itp6crawl.store import lexicon as lexicon_module
from itp6crawl.store.lexicon import ArchiveLexicon, did_you_mean, has_words, lexicon_of
from itp6crawl.store.readonly import connect_readonly
from itp6crawl.text import default_segmenter, segment_article

BODIES = {
    1: "服用艾曲泊帕后血小板升高。eltrombopag works.",
    2: "艾曲泊帕和罗米司亭都是TPO受体激动剂。romiplostim too.",
    3: "利妥昔单抗治疗后，艾曲泊帕减量。rituximab and eltrombopag.",
    4: "罗米司亭每周注射一次。",
    5: "利妥昔单抗可能引起输液反应。",
    6: "利妥昔单抗与地塞米松联合使用。",
    7: "罗米司亭的剂量根据血小板调整。",
}


def save(archive, post_id, body, fetch_time, title="文章"):
    article = make_article(post_id, title=f"{title}{post_id}", body_text=body, tags=[], categories=[], summary="")
    archive.articles.save(article, segment_article(article), fetch_time)


def counts(db, *words):
    marks = ", ".join("?" * len(words))
    found = dict(db.execute(f"SELECT word, articles FROM search_words WHERE word IN ({marks})", words).fetchall())
    return {word: found.get(word) for word in words}


@pytest.fixture
def archive_path(tmp_path, fetch_time):
    path = tmp_path / "itp6.db"
    with Archive.open(path) as archive:
        for post_id, body in BODIES.items():
            save(archive, post_id, body, fetch_time)
    return path


def test_saving_articles_counts_their_words(archive_path):
    with Archive.open(archive_path) as archive:
        db = archive.db
        assert counts(db, "艾曲泊帕", "罗米司亭", "利妥昔单抗", "eltrombopag", "rituximab", "血小板") == {
            "艾曲泊帕": 3, "罗米司亭": 3, "利妥昔单抗": 3, "eltrombopag": 2, "rituximab": 1, "血小板": 2,
        }  # fmt: skip
        assert counts(db, "的", "tpo", "works")["的"] is None  # one character: not a word suggestions can be
        sounds = {row[0] for row in db.execute("SELECT sound FROM search_sounds WHERE word = '艾曲泊帕'")}
        assert {"ai qu po pa", "ai qu bo pa"} <= sounds
        row = db.execute("SELECT tail, letters FROM search_words WHERE word = '利妥昔单抗'").fetchone()
        assert row == ("单抗", None)
        assert db.execute("SELECT tail, letters FROM search_words WHERE word = 'rituximab'").fetchone() == (None, 9)


def test_a_changed_article_moves_its_counts_and_an_unchanged_one_keeps_them(archive_path, fetch_time):
    with Archive.open(archive_path) as archive:
        save(archive, 1, BODIES[1], fetch_time + timedelta(days=1))  # unchanged
        assert counts(archive.db, "艾曲泊帕", "eltrombopag") == {"艾曲泊帕": 3, "eltrombopag": 2}
        save(archive, 1, "改用海曲泊帕，血小板稳定。hetrombopag.", fetch_time + timedelta(days=2))
        assert counts(archive.db, "艾曲泊帕", "eltrombopag", "海曲泊帕", "hetrombopag", "血小板") == {
            "艾曲泊帕": 2, "eltrombopag": 1, "海曲泊帕": 1, "hetrombopag": 1, "血小板": 2,
        }  # fmt: skip


def test_gone_articles_are_not_counted_and_come_back(archive_path, fetch_time):
    with Archive.open(archive_path) as archive:
        assert archive.articles.mark_gone(4, fetch_time)
        assert not archive.articles.mark_gone(4, fetch_time)  # already gone: counted once
        assert counts(archive.db, "罗米司亭", "注射")["罗米司亭"] == 2
        assert counts(archive.db, "注射") == {"注射": 0}  # the word stays, at 0
        save(archive, 4, BODIES[4], fetch_time + timedelta(days=1))
        assert counts(archive.db, "罗米司亭", "注射") == {"罗米司亭": 3, "注射": 1}


def test_sound_keys_are_computed_once_per_new_word(tmp_path, fetch_time, monkeypatch):
    computed: list[str] = []
    real = lexicon_module.sound_keys
    monkeypatch.setattr(lexicon_module, "sound_keys", lambda word: computed.append(word) or real(word))
    with Archive.open(tmp_path / "a.db") as archive:
        save(archive, 1, "艾曲泊帕治疗", fetch_time)
        assert {"艾曲泊帕", "治疗"} <= set(computed) and len(computed) == len(set(computed))
        first = len(computed)
        save(archive, 2, "艾曲泊帕治疗，罗米司亭", fetch_time)
    assert computed[first:] == ["罗米司亭"]
    with Archive.open(tmp_path / "a.db") as archive:  # a new session reads the known words from the table
        save(archive, 3, "罗米司亭治疗，艾曲泊帕", fetch_time)
    assert computed[first:] == ["罗米司亭"]


def test_a_rebuild_counts_again_from_zero(archive_path, fetch_time):
    with Archive.open(archive_path) as archive:
        archive.clear_derived()
        assert counts(archive.db, "艾曲泊帕") == {"艾曲泊帕": 0}
        save(archive, 1, BODIES[1], fetch_time)
        assert counts(archive.db, "艾曲泊帕", "eltrombopag") == {"艾曲泊帕": 1, "eltrombopag": 1}


def old_archive(path, fetch_time):
    """An archive as the release before the word tables left it, with articles."""
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="0012_search_words")
    db.execute(f"PRAGMA user_version = {len(migrations._migrations) - 1}")
    for post_id, body in BODIES.items():
        article = make_article(post_id, body_text=body, title=f"文章{post_id}", tags=[], categories=[], summary="")
        segments = segment_article(article)
        db["articles"].insert(
            {"id": post_id, "url": article.url, "title": article.title, "body_text": body, "status": "live"}
            | {"title_seg": segments.title_seg, "body_seg": segments.body_seg, "search_extra": segments.search_extra}
        )
    db.execute("UPDATE articles SET status = 'gone' WHERE id = 7")
    db.conn.commit()
    db.close()


def test_the_migration_fills_the_words_from_the_live_articles(tmp_path, fetch_time):
    path = tmp_path / "old.db"
    old_archive(path, fetch_time)
    with Archive.open(path) as archive:
        assert counts(archive.db, "艾曲泊帕", "罗米司亭", "利妥昔单抗", "eltrombopag", "剂量") == {
            "艾曲泊帕": 3, "罗米司亭": 2, "利妥昔单抗": 3, "eltrombopag": 2, "剂量": None,  # 7 is gone
        }  # fmt: skip
        assert archive.db.execute("SELECT COUNT(*) FROM search_sounds WHERE word = '罗米司亭'").fetchone()[0] >= 1
        save(archive, 8, "罗米司亭", fetch_time)  # and kept up to date from there
        assert counts(archive.db, "罗米司亭") == {"罗米司亭": 3}


def test_an_old_archive_read_only_gets_suggestions_from_the_vocabulary(tmp_path, fetch_time):
    path = tmp_path / "old.db"
    old_archive(path, fetch_time)
    with connect_readonly(path) as connection:
        assert not has_words(connection)
        assert not isinstance(lexicon_of(connection), ArchiveLexicon)
        assert texts(connection, "罗米斯亭") == {"罗米斯亭": ["罗米司亭"]}
        assert texts(connection, "romiplostin") == {"romiplostin": ["romiplostim"]}


def texts(connection: sqlite3.Connection, query: str) -> dict[str, list[str]]:
    return {correction.typed: correction.texts for correction in did_you_mean(connection, parse(query).text)}


def test_did_you_mean_corrects_the_misspelled_words_only(archive_path):
    with connect_readonly(archive_path) as connection:
        assert texts(connection, "艾曲波帕") == {"艾曲波帕": ["艾曲泊帕"]}
        assert texts(connection, "艾曲泊怕") == {"艾曲泊怕": ["艾曲泊帕"]}
        assert texts(connection, "罗米斯亭") == {"罗米斯亭": ["罗米司亭"]}
        assert texts(connection, "利妥昔单坑") == {"利妥昔单坑": ["利妥昔单抗"]}
        assert texts(connection, "ELTROMBOPG") == {"eltrombopg": ["eltrombopag"]}
        assert texts(connection, "romiplostin") == {"romiplostin": ["romiplostim"]}
        assert texts(connection, "艾曲泊帕 罗米斯亭") == {"罗米斯亭": ["罗米司亭"]}  # the right word is left alone
        assert texts(connection, "罗米斯亭注射") == {"罗米斯亭注射": ["罗米司亭注射"]}  # a stretch of a run


def test_did_you_mean_leaves_alone_what_finds_enough_and_what_is_not_a_misspelling(archive_path):
    with connect_readonly(archive_path) as connection:
        assert texts(connection, "艾曲泊帕") == {}  # three articles
        assert texts(connection, "罗米司亭 利妥昔单抗") == {}
        assert texts(connection, "eltrombo") == {}  # a prefix, not a misspelling
        assert texts(connection, '"罗米斯亭" -艾曲波帕 eltrombo*') == {}  # exact, excluded, prefix
        assert texts(connection, "海曲泊帕") == {}  # a vocabulary name no article holds: no neighbour forced on it


def test_a_suggestion_is_shown_only_when_it_finds_more(archive_path, fetch_time):
    with Archive.open(archive_path) as archive:
        save(archive, 20, "海曲泊怕是错字。", fetch_time)
    with connect_readonly(archive_path) as connection:  # 海曲泊帕, the vocabulary's, is in no article
        assert texts(connection, "海曲泊怕") == {}
    with Archive.open(archive_path) as archive:
        save(archive, 21, "海曲泊帕是国产药。", fetch_time)
    with connect_readonly(archive_path) as connection:  # in one article, as many as the typo: not more
        assert texts(connection, "海曲泊怕") == {}
    with Archive.open(archive_path) as archive:
        save(archive, 22, "海曲泊帕的剂量。", fetch_time)
    with connect_readonly(archive_path) as connection:
        assert texts(connection, "海曲泊怕") == {"海曲泊怕": ["海曲泊帕"]}


def test_did_you_mean_segments_with_the_given_segmenter(archive_path):
    with connect_readonly(archive_path) as connection:
        found = did_you_mean(connection, "罗米斯亭", default_segmenter())
        assert [(c.typed, c.suggestions[0].word, c.suggestions[0].how) for c in found] == [
            ("罗米斯亭", "罗米司亭", "sound")
        ]


def test_did_you_mean_counts_through_the_callers_matching(archive_path):
    """A search that expands a word to its concept's names passes its own count: eltrombopag then finds the
    articles of 艾曲泊帕 even where no article writes it in English."""
    with connect_readonly(archive_path) as connection:
        assert texts(connection, "hetrombopg") == {}  # hetrombopag: a vocabulary name no article holds

        def expanded(text: str, at_most: int) -> int:
            return at_most if text == "hetrombopag" else 0

        found = did_you_mean(connection, "hetrombopg", matching=expanded)
        assert [(c.typed, c.texts) for c in found] == [("hetrombopg", ["hetrombopag"])]


def test_counts_stop_at_the_cap_so_common_words_cost_a_save_nothing(tmp_path, fetch_time, monkeypatch):
    monkeypatch.setattr(lexicon_module, "COUNT_CAP", 2)
    with Archive.open(tmp_path / "a.db") as archive:
        for post_id in (1, 2, 3):
            save(archive, post_id, "罗米司亭治疗" if post_id < 3 else "罗米司亭", fetch_time)
        assert counts(archive.db, "罗米司亭", "治疗") == {"罗米司亭": 2, "治疗": 2}  # "2 or more"
        archive.articles.mark_gone(1, fetch_time)
        archive.articles.mark_gone(2, fetch_time)
        assert counts(archive.db, "罗米司亭", "治疗") == {"罗米司亭": 2, "治疗": 2}  # at the cap: not followed
    monkeypatch.setattr(lexicon_module, "COUNT_CAP", 100)
    with Archive.open(tmp_path / "a.db") as archive:  # below the cap, a new session counts from the table's
        archive.articles.mark_gone(3, fetch_time)
        assert counts(archive.db, "罗米司亭") == {"罗米司亭": 1}
