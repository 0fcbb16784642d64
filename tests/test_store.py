import importlib
import json
import re
from datetime import timedelta

import pytest
import sqlite_utils

from itp6crawl.store import SCHEMA_VERSION, Archive, PoorerThanArchived, Segments, content_hash
from itp6crawl.store.rows import upsert_row
from itp6crawl.store.schema import WAL_CHECKPOINT_PAGES
from itp6crawl.text import default_segmenter


def segments_for(article) -> Segments:
    seg = default_segmenter()
    return Segments(seg.index_text(article.title), seg.index_text(article.body_text), "")


@pytest.fixture
def archive(tmp_path):
    with Archive.open(tmp_path / "sub" / "itp6.db") as archive:
        yield archive


def test_schema_is_created_with_fts(archive):
    tables = set(archive.db.table_names())
    assert {"articles", "links", "comments", "article_versions", "crawl_runs", "failures", "articles_fts"} <= tables
    assert archive.db["articles"].detect_fts() == "articles_fts"
    assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "crawl_state" in tables


def test_the_archive_is_opened_for_a_crawls_writes(archive, tmp_path):
    """WAL (readers never wait for the crawl), a busy timeout (short waits are no error), NORMAL sync
    (durable against a crash), and a WAL checkpointed every 40 MiB, not 4 (15% cheaper saves)."""
    pragmas = {name: archive.db.execute(f"PRAGMA {name}").fetchone()[0] for name in
               ("journal_mode", "busy_timeout", "synchronous", "wal_autocheckpoint", "foreign_keys")}  # fmt: skip
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "synchronous": 1,
                       "wal_autocheckpoint": WAL_CHECKPOINT_PAGES, "foreign_keys": 1}  # fmt: skip
    assert WAL_CHECKPOINT_PAGES * 4096 >= 40 * 2**20 * 0.95


def test_open_twice_is_idempotent(tmp_path):
    Archive.open(tmp_path / "a.db").close()
    with Archive.open(tmp_path / "a.db") as archive:
        assert archive.db["articles"].count == 0


def test_save_new_article_with_links_and_comments(archive, article_factory, fetch_time):
    article = article_factory()
    assert archive.articles.save(article, segments_for(article), fetch_time) == "new"
    row = archive.db["articles"].get(101)
    assert row["title"] == article.title and row["status"] == "live"
    assert json.loads(row["categories"]) == ["治疗过程分享"]
    assert json.loads(row["images"]) == [{"src": "https://www.itp6.com/a.jpg", "alt": "化验单", "caption": "化验单"}]
    assert row["first_seen_at"] == row["fetched_at"] == row["changed_at"] == "2024-06-05T12:00:00+08:00"
    links = list(archive.db.query("SELECT kind, dst_url, dst_id, title, date FROM links ORDER BY kind"))
    assert [(link["kind"], link["dst_url"]) for link in links] == [
        ("prev", "https://www.itp6.com/100.html"),
        ("related", "https://www.itp6.com/102.html"),
    ]
    assert all(link["dst_id"] is None for link in links)  # not archived yet
    comments = list(archive.db.table("comments").rows)
    assert comments[0]["author"] == "病友A" and comments[0]["text"] == "加油！"


def test_link_targets_resolve_when_they_are_archived(archive, article_factory, fetch_time):
    first = article_factory()
    archive.articles.save(first, segments_for(first), fetch_time)
    target = article_factory(102, related=[], prev=None, comments=[])
    archive.articles.save(target, segments_for(target), fetch_time)
    row = archive.db.execute("SELECT dst_id FROM links WHERE kind = 'related' AND src_id = 101").fetchone()
    assert row[0] == 102
    back = article_factory(103, related=[first.related[0]], prev=None, comments=[])
    archive.articles.save(back, segments_for(back), fetch_time)  # link to an already archived article
    assert archive.db.execute("SELECT dst_id FROM links WHERE src_id = 103").fetchone()[0] == 102


def test_unchanged_content_updates_counts_without_a_version(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    later = fetch_time + timedelta(days=1)
    again = article_factory(views=2000, comments=[])
    assert archive.articles.save(again, segments_for(again), later) == "unchanged"
    row = archive.db["articles"].get(101)
    assert row["views"] == 2000 and row["changed_at"] == "2024-06-05T12:00:00+08:00"
    assert row["fetched_at"] == "2024-06-06T12:00:00+08:00"
    assert archive.db.table("article_versions").count == 0
    assert archive.db.table("comments").count == 0  # replaced by the latest page's comments


def test_changed_content_keeps_the_previous_version(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    edited = article_factory(body_text=article.body_text + "\n\n补充：复查正常。")
    assert archive.articles.save(edited, segments_for(edited), fetch_time + timedelta(days=2)) == "changed"
    versions = list(archive.db.table("article_versions").rows)
    assert len(versions) == 1
    assert versions[0]["body_text"] == article.body_text and versions[0]["version"] == 1
    assert versions[0]["content_hash"] == content_hash(article)
    assert archive.db["articles"].get(101)["body_text"].endswith("复查正常。")


def test_fts_triggers_follow_updates(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    edited = article_factory(title="改用罗米司亭", body_text="换药后效果更好，复查血小板稳定。" * 3)
    archive.articles.save(edited, segments_for(edited), fetch_time)
    db = sqlite_utils.Database(archive.db.conn)
    assert [r["id"] for r in db.table("articles").search('"罗米司亭"')] == [101]
    assert list(db.table("articles").search('"艾曲泊帕"')) == []


def test_article_without_id_is_refused(archive, article_factory, fetch_time):
    with pytest.raises(ValueError, match="without a post id"):
        archive.articles.save(article_factory(id=None), Segments(), fetch_time)


def test_links_resolve_by_canonical_url(archive, article_factory, fetch_time):
    from itp6crawl.records import Link

    source = article_factory(
        101, related=[Link(url="https://www.itp6.com/102.html"), Link(url="https://other.example/102.html")], prev=None
    )
    archive.articles.save(source, segments_for(source), fetch_time)
    target = article_factory(102, related=[], prev=None, comments=[])
    archive.articles.save(target, segments_for(target), fetch_time)
    rows = {r["dst_url"]: r["dst_id"] for r in archive.db.query("SELECT dst_url, dst_id FROM links")}
    assert rows == {"https://www.itp6.com/102.html": 102, "https://other.example/102.html": None}
    again = article_factory(103, related=[Link(url="https://www.itp6.com/102.html")], prev=None)
    archive.articles.save(again, segments_for(again), fetch_time)  # target already archived
    assert archive.db.execute("SELECT dst_id FROM links WHERE src_id = 103").fetchone()[0] == 102


def test_a_poorer_page_never_replaces_the_live_article(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    maintenance = article_factory(title="", body_text="hello", body_html="<p>hello</p>")
    with pytest.raises(PoorerThanArchived, match=f"^no title where the archive has '{article.title}'$"):
        archive.articles.save(maintenance, segments_for(maintenance), fetch_time + timedelta(days=1))
    shrunk = article_factory(body_text=article.body_text[:10])
    lost = rf"^body lost most of its text \({len(article.body_text)} -> 10 characters\)$"
    with pytest.raises(PoorerThanArchived, match=lost):
        archive.articles.save(shrunk, segments_for(shrunk), fetch_time + timedelta(days=1))
    drifted = article_factory(extractor="fallback")
    theme = "^theme not recognised where the archived version was read by the theme rules$"
    with pytest.raises(PoorerThanArchived, match=theme):
        archive.articles.save(drifted, segments_for(drifted), fetch_time + timedelta(days=1))
    row = archive.db["articles"].get(101)
    assert (row["title"], row["body_text"]) == (article.title, article.body_text)
    assert archive.db.table("article_versions").count == 0


def test_gone_keeps_the_row_and_a_return_makes_it_live(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    assert archive.articles.mark_gone(101, fetch_time + timedelta(days=1))
    assert not archive.articles.mark_gone(101, fetch_time + timedelta(days=2))  # already gone
    row = archive.db["articles"].get(101)
    assert (row["status"], row["gone_at"], row["body_text"]) == ("gone", "2024-06-06T12:00:00+08:00", article.body_text)
    archive.articles.save(article, segments_for(article), fetch_time + timedelta(days=3))
    row = archive.db["articles"].get(101)
    assert (row["status"], row["gone_at"]) == ("live", None)


def test_a_change_to_body_html_alone_is_versioned(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    edited = article_factory(body_html=article.body_html.replace("<p>", '<p><a href="https://x.example/">'))
    assert archive.articles.save(edited, segments_for(edited), fetch_time) == "changed"
    assert archive.db.table("article_versions").count == 1


def test_posts_to_recheck_are_those_that_left_the_sitemaps_or_are_stale(archive, article_factory, fetch_time):
    for post_id in (101, 102, 103, 104):
        article = article_factory(post_id, url=f"https://www.itp6.com/{post_id}.html", related=[], prev=None)
        archive.articles.save(article, segments_for(article), fetch_time)
    url = "https://www.itp6.com/{}.html".format
    archive.state.record(url(101), in_sitemap=1, fetched_at="2024-06-05T12:00:00+08:00")  # still listed
    archive.state.record(url(102), in_sitemap=1, fetched_at="2024-06-05T12:00:00+08:00")  # left the sitemaps
    archive.state.record(url(103), in_sitemap=0, fetched_at="2024-06-05T12:00:00+08:00")  # never listed, fresh
    archive.state.record(url(104), in_sitemap=0, fetched_at="2024-05-01T12:00:00+08:00")  # never listed, stale
    assert archive.state.posts_to_recheck({url(101)}, "2024-05-29T12:00:00+08:00") == [url(102), url(104)]


def test_each_change_archives_the_version_it_replaces_numbered_in_order(archive, article_factory, fetch_time):
    texts = ["第一版正文，记录服药经过。" * 3, "第二版正文，补充了复查结果。" * 3, "第三版正文，医生调整了剂量。" * 3]
    for day, text in enumerate(texts):
        article = article_factory(body_text=text, title=f"第{day + 1}版")
        archive.articles.save(article, segments_for(article), fetch_time + timedelta(days=day))
    versions = list(archive.db.query("SELECT * FROM article_versions ORDER BY version"))
    assert [(v["version"], v["title"], v["body_text"]) for v in versions] == [
        (1, "第1版", texts[0]),
        (2, "第2版", texts[1]),
    ]
    assert [v["archived_at"] for v in versions] == ["2024-06-06T12:00:00+08:00", "2024-06-07T12:00:00+08:00"]
    assert [v["fetched_at"] for v in versions] == ["2024-06-05T12:00:00+08:00", "2024-06-06T12:00:00+08:00"]
    assert all(v["article_id"] == 101 and v["url"] == "https://www.itp6.com/101.html" for v in versions)
    assert archive.articles.get(101)["body_text"] == texts[2]


def test_what_counts_as_poorer_has_edges(archive, article_factory, fetch_time):
    """A short stored body may shrink (under 40 characters proves nothing), from 40 on it may not lose
    more than half; a gone article takes any page back."""
    short = article_factory(body_text="短" * 39)
    archive.articles.save(short, segments_for(short), fetch_time)
    shorter = article_factory(body_text="短" * 5)
    assert archive.articles.save(shorter, segments_for(shorter), fetch_time) == "changed"
    forty = article_factory(body_text="四" * 40)
    archive.articles.save(forty, segments_for(forty), fetch_time)
    with pytest.raises(PoorerThanArchived, match="40 -> 5 characters"):
        archive.articles.save(shorter, segments_for(shorter), fetch_time)
    long = article_factory(body_text="长" * 100)
    archive.articles.save(long, segments_for(long), fetch_time)
    half = article_factory(body_text="半" * 50)
    assert archive.articles.save(half, segments_for(half), fetch_time) == "changed"
    archive.articles.mark_gone(101, fetch_time)
    untitled = article_factory(title="", body_text="x")
    assert archive.articles.save(untitled, segments_for(untitled), fetch_time) == "changed"


def test_the_store_package_imports_each_name_from_its_home_on_first_use():
    import itp6crawl.store as store

    for name in store.__all__:
        value = store.__getattr__(name)  # the lazy lookup itself, even when an earlier test cached the name
        home = importlib.import_module(store._HOMES[name], "itp6crawl.store")
        assert value is getattr(home, name) and getattr(store, name) is value, name
    with pytest.raises(AttributeError, match=re.escape("module 'itp6crawl.store' has no attribute 'Nothing'")):
        store.__getattr__("Nothing")


def test_crawl_state_refuses_a_field_it_does_not_keep(archive):
    with pytest.raises(ValueError, match=re.escape("unknown crawl state fields: ['colour', 'size']")):
        archive.state.record("https://www.itp6.com/1.html", status=200, size=3, colour="red")
    assert archive.state.get("https://www.itp6.com/1.html") is None  # nothing half-written


def test_an_article_is_saved_whole_or_not_at_all(archive, article_factory, fetch_time):
    """Everything of one save is one transaction: a failure in its last step (the crawl state written
    through ``also``) leaves no article, link or comment behind (a SIGKILL there once did)."""

    def state_write_fails(outcome):
        raise RuntimeError("killed while writing the crawl state")

    article = article_factory()
    with pytest.raises(RuntimeError, match="killed"):
        archive.articles.save(article, segments_for(article), fetch_time, also=state_write_fails)
    for table in ("articles", "links", "comments", "article_versions"):
        assert archive.db.table(table).count == 0, table
    assert not archive.db.conn.in_transaction
    assert archive.articles.save(article, segments_for(article), fetch_time) == "new"  # and the next try works


def test_the_content_hash_is_pinned_across_releases(article_factory):
    """A changed hash function would make every archived article look changed at the next crawl (a new
    version of each): compact JSON, non-ASCII kept, SHA-256, over the content columns in their order."""
    assert content_hash(article_factory()) == "50f4257d73cab947fda6179e6d3e0c7ee10cffdb94d54a1da449b22e5017509e"


def test_list_columns_are_stored_as_readable_json(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    row = archive.articles.get(101)
    assert row["categories"] == '["治疗过程分享"]' and row["tags"] == '["艾曲泊帕", "ITP"]'
    assert row["images"] == '[{"src": "https://www.itp6.com/a.jpg", "alt": "化验单", "caption": "化验单"}]'


def test_an_article_row_names_its_warc_record_and_its_change_time(archive, article_factory, fetch_time):
    from itp6crawl.store import Source

    outcomes: list[str] = []
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time, Source("3.warc.gz", 1234), outcomes.append)
    row = archive.articles.get(101)
    assert (row["warc_file"], row["warc_offset"]) == ("3.warc.gz", 1234)
    assert row["first_seen_at"] == row["changed_at"] == "2024-06-05T12:00:00+08:00"
    later = fetch_time + timedelta(days=3)
    edited = article_factory(body_text=article.body_text + "\n\n补充。")
    archive.articles.save(edited, segments_for(edited), later, None, outcomes.append)
    archive.articles.save(edited, segments_for(edited), later + timedelta(days=1), None, outcomes.append)
    row = archive.articles.get(101)
    assert row["changed_at"] == "2024-06-08T12:00:00+08:00" and row["fetched_at"] == "2024-06-09T12:00:00+08:00"
    assert outcomes == ["new", "changed", "unchanged"]  # what the crawl's state write is told


def test_links_are_stored_with_their_kind_and_place(archive, article_factory, fetch_time):
    from itp6crawl.records import Link

    article = article_factory(next=Link(url="https://www.itp6.com/103.html", title="下一篇文章"))
    archive.articles.save(article, segments_for(article), fetch_time)
    rows = archive.db.execute("SELECT kind, position, dst_url FROM links ORDER BY kind").fetchall()
    assert rows == [
        ("next", 0, "https://www.itp6.com/103.html"),
        ("prev", 0, "https://www.itp6.com/100.html"),
        ("related", 0, "https://www.itp6.com/102.html"),
    ]


def test_a_post_checked_exactly_at_the_recheck_limit_is_not_rechecked(archive, article_factory, fetch_time):
    article = article_factory()
    archive.articles.save(article, segments_for(article), fetch_time)
    archive.state.record(article.url, status=200, in_sitemap=0, fetched_at="2024-06-01T00:00:00+08:00")
    assert archive.state.posts_to_recheck(set(), "2024-06-01T00:00:00+08:00") == []
    assert archive.state.posts_to_recheck(set(), "2024-06-01T00:00:01+08:00") == [article.url]


def test_an_upsert_of_the_key_alone_keeps_the_row_it_finds(tmp_path):
    db = sqlite_utils.Database(tmp_path / "rows.db")
    db.execute('CREATE TABLE state ("url" TEXT PRIMARY KEY, "etag" TEXT)')
    upsert_row(db, "state", "url", {"url": "https://www.itp6.com/1.html", "etag": '"v1"'})
    upsert_row(db, "state", "url", {"url": "https://www.itp6.com/1.html"})  # nothing to set: DO NOTHING
    upsert_row(db, "state", "url", {"url": "https://www.itp6.com/2.html"})
    assert db.execute("SELECT url, etag FROM state ORDER BY url").fetchall() == [
        ("https://www.itp6.com/1.html", '"v1"'),
        ("https://www.itp6.com/2.html", None),
    ]


def test_the_package_names_resolve_lazily_to_their_modules():
    import itp6crawl.store as store

    for name, home in store._HOMES.items():
        store.__dict__.pop(name, None)
        assert getattr(store, name) is getattr(importlib.import_module(home, store.__name__), name), name
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        store.Nothing  # noqa: B018
