"""The schema grows by migrations: an archive of release 0.1.0 upgrades in place with nothing lost,
and a file that is not an archive is refused before anything is written to it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from itp6crawl.store import APPLICATION_ID, SCHEMA_VERSION, Archive, ArchiveTooNew, NotAnArchive, migrations
from itp6crawl.store.content import content_hash_of_row
from itp6crawl.store.schema import release

FIXTURE = Path(__file__).parent / "fixtures" / "archive-v0.1.0.db"


@pytest.fixture
def old_archive(tmp_path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    return path


def snapshot(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def test_an_archive_of_0_1_0_upgrades_in_place_with_nothing_lost(old_archive):
    before = {
        "articles": snapshot(
            old_archive, "SELECT id, title, body_text, views, first_seen_at FROM articles ORDER BY id"
        ),
        "versions": snapshot(old_archive, "SELECT article_id, version, title, body_text FROM article_versions"),
        "comments": snapshot(old_archive, "SELECT * FROM comments ORDER BY article_id, position"),
        "links": snapshot(old_archive, "SELECT src_id, kind, position, title FROM links ORDER BY 1, 2, 3"),
        "runs": snapshot(old_archive, "SELECT id, started_at, finished_at, articles_new, pages FROM crawl_runs"),
    }
    with Archive.open(old_archive) as archive:
        assert [m.name for m in migrations.applied(archive.db)] == [m.name for m in migrations._migrations]
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = {
        "articles": snapshot(
            old_archive, "SELECT id, title, body_text, views, first_seen_at FROM articles ORDER BY id"
        ),
        "versions": snapshot(old_archive, "SELECT article_id, version, title, body_text FROM article_versions"),
        "comments": snapshot(old_archive, "SELECT * FROM comments ORDER BY article_id, position"),
        "links": snapshot(old_archive, "SELECT src_id, kind, position, title FROM links ORDER BY 1, 2, 3"),
        "runs": snapshot(old_archive, "SELECT id, started_at, finished_at, articles_new, fetched FROM crawl_runs"),
    }
    assert after == before and len(after["articles"]) == 12 and len(after["versions"]) == 1


def test_the_upgrade_rebases_urls_and_keeps_hashes_consistent(old_archive):
    with Archive.open(old_archive) as archive:
        rows = list(archive.db.table("articles").rows)
        assert all(row["url"] == f"https://www.itp6.com/{row['id']}.html" for row in rows)
        assert all("127.0.0.1" not in row["body_html"] + row["images"] for row in rows)
        assert all(row["content_hash"] == content_hash_of_row(row) for row in rows)
        links = archive.db.execute("SELECT dst_url, dst_id FROM links WHERE dst_url LIKE '%.html'").fetchall()
        assert links and all(url.startswith("https://www.itp6.com/") for url, _ in links)
        archived_urls = {row["url"] for row in rows}
        assert all(dst_id is not None for url, dst_id in links if url in archived_urls)
        assert {"crawl_state"} <= set(archive.db.table_names())
        assert {"gone_at", "warc_file", "warc_offset"} <= set(archive.db.table("articles").columns_dict)


def test_opening_twice_applies_nothing_more(old_archive):
    Archive.open(old_archive).close()
    with Archive.open(old_archive) as archive:
        assert migrations.pending(archive.db) == []


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my notes, not a database\n")
    with pytest.raises(NotAnArchive, match="not a SQLite database"):
        Archive.open(path)
    assert path.read_text() == "my notes, not a database\n"


def test_someone_elses_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    before = path.read_bytes()
    with pytest.raises(NotAnArchive, match=r"something else \(tables: invoices\); refusing to add ours"):
        Archive.open(path)
    assert path.read_bytes() == before


def test_a_folder_or_a_damaged_database_as_the_archive_is_refused_with_its_reason(tmp_path):
    with pytest.raises(NotAnArchive, match=f"{tmp_path} is a folder, not an archive file"):
        Archive.open(tmp_path)
    damaged = tmp_path / "damaged.db"
    with sqlite3.connect(damaged) as connection:
        connection.execute("CREATE TABLE t (x)")
    data = bytearray(damaged.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, after the 100-byte header
    damaged.write_bytes(bytes(data))
    with pytest.raises(NotAnArchive, match="is not a readable SQLite database: "):
        Archive.open(damaged)


def test_a_new_archive_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    """Readers started with the first crawl never meet a file without its tables."""
    from itp6crawl.store import schema

    path = tmp_path / "archive" / "itp6.db"
    with Archive.open(path) as archive:
        assert {"articles", "articles_fts", "crawl_state", "search_state"} <= set(archive.db.table_names())
    assert not list(path.parent.glob("*.creating*"))

    broken = tmp_path / "broken" / "itp6.db"

    def fail(db):
        raise OSError("disk full while creating")

    monkeypatch.setattr(schema.migrations, "apply", fail)
    with pytest.raises(OSError, match="disk full"):
        Archive.open(broken)
    assert not broken.exists()


def test_the_upgrade_rebases_image_sources_and_keeps_their_text_readable(old_archive):
    before = dict(snapshot(old_archive, "SELECT id, images FROM articles WHERE images NOT IN ('', '[]')"))
    assert before
    with Archive.open(old_archive) as archive:
        after = dict(archive.db.execute("SELECT id, images FROM articles WHERE images NOT IN ('', '[]')").fetchall())
    assert after.keys() == before.keys()
    for article_id, images in after.items():
        old = json.loads(before[article_id])
        new = json.loads(images)
        assert [image["src"] for image in new] == [
            "https://www.itp6.com" + urlsplit(image["src"]).path for image in old
        ]
        assert [(image["alt"], image["caption"]) for image in new] == [(i["alt"], i["caption"]) for i in old]
        assert all(image["alt"] in images for image in new if image["alt"])  # stored as text, not \u escapes


def test_a_new_archive_is_marked_with_our_application_id_and_an_identity(tmp_path):
    with Archive.open(tmp_path / "itp6.db") as archive:
        assert archive.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID == 0x49545036
        info = archive.db.execute("SELECT archive_id, created_by, written_by FROM archive_info").fetchall()
    assert len(info) == 1 and len(info[0][0]) == 36  # a UUID
    with Archive.open(tmp_path / "other.db") as other:
        assert other.db.execute("SELECT archive_id FROM archive_info").fetchone()[0] != info[0][0]


def test_an_archive_of_0_1_0_gets_the_mark_and_an_identity_on_upgrade(old_archive):
    with Archive.open(old_archive) as archive:
        assert archive.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert archive.db.execute("SELECT count(*) FROM archive_info").fetchone()[0] == 1


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, headline TEXT, price REAL)",
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT); CREATE TABLE comments (x); PRAGMA user_version=3",
        "CREATE TABLE articles (id INTEGER PRIMARY KEY); PRAGMA application_id = 1234",
        "PRAGMA application_id = 1234",  # marked by another program, no table yet
    ],
)
def test_a_foreign_database_is_refused_before_any_byte_is_written_even_with_an_articles_table(tmp_path, schema):
    path = tmp_path / "blog.db"
    connection = sqlite3.connect(path)
    connection.executescript(schema)
    connection.close()
    before = path.read_bytes()
    with pytest.raises(NotAnArchive, match="refusing to add ours"):
        Archive.open(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog.db"]  # no -wal, -shm or journal


def test_an_empty_sqlite_database_becomes_an_archive(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with Archive.open(path) as archive:
        assert "articles" in archive.db.table_names()


def _from_a_newer_release(path: Path) -> None:
    with Archive.open(path) as archive:
        archive.db.execute("UPDATE archive_info SET written_by = '9.1.0'")
        archive.db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('itp6crawl', '0099_future', 'x')"
        )
        archive.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def test_an_archive_of_a_newer_release_is_refused_with_one_line_naming_both_versions(tmp_path):
    path = tmp_path / "itp6.db"
    _from_a_newer_release(path)
    before = path.read_bytes()
    with pytest.raises(ArchiveTooNew) as refused:
        Archive.open(path)
    message = str(refused.value)
    assert "\n" not in message
    assert f"itp6crawl 9.1.0 (schema {SCHEMA_VERSION + 1})" in message
    assert f"this is itp6crawl {release()} (schema {SCHEMA_VERSION})" in message
    assert path.read_bytes() == before


def test_a_newer_migration_alone_is_enough_to_refuse(tmp_path):
    path = tmp_path / "itp6.db"
    _from_a_newer_release(path)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    with pytest.raises(ArchiveTooNew, match="upgrade itp6crawl"):
        Archive.open(path)


def test_each_write_records_the_release_that_wrote_it(tmp_path):
    path = tmp_path / "itp6.db"
    with Archive.open(path) as archive:
        archive.db.execute("UPDATE archive_info SET written_by = '0.0.1'")
    with Archive.open(path) as archive:
        assert archive.db.execute("SELECT written_by FROM archive_info").fetchone()[0] == release()


# --------------------------------------------------------------------------- 0008: English stems in the index


def _fts_sql(path: Path) -> str:
    return snapshot(path, "SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")[0][0]


def _ids(path: Path, word: str) -> set[int]:
    return {row[0] for row in snapshot(path, f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH '\"{word}\"'")}


@pytest.fixture
def schema_7_archive(tmp_path) -> Path:
    """An archive as release 0.7 left it: schema 7, unstemmed index, current top lists."""
    import sqlite_utils

    path = tmp_path / "v7.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="0008_porter_stemming")
    db.execute("PRAGMA user_version = 7")
    bodies = {1: "a research letter on platelets", 2: "two researches on the platelet", 3: "研究 血小板 research"}
    for post_id, body in bodies.items():
        db["articles"].insert(
            {"id": post_id, "url": f"https://www.itp6.com/{post_id}.html", "title": f"第{post_id}篇", "status": "live"}
            | {"title_seg": f"第 {post_id} 篇", "body_seg": body, "search_extra": ""}
        )
    # Lists as that release built them (scores of the unstemmed index), current.
    db.execute("INSERT INTO search_top (term, article_id, score) VALUES ('platelets', 1, 1.5), ('research', 3, 1.0)")
    db.execute("INSERT INTO search_top_terms VALUES ('platelets', 1, 1, 0.0), ('research', 2, 2, 0.0)")
    db.execute("UPDATE search_state SET top_generation = generation")
    db.conn.commit()
    db.close()
    return path


def test_an_archive_of_schema_7_gets_a_stemmed_index_and_stale_top_lists(schema_7_archive):
    path = schema_7_archive
    assert "porter" not in _fts_sql(path) and _ids(path, "researches") == {2}
    assert snapshot(path, "SELECT count(*) FROM search_top")[0][0] > 0
    with Archive.open(path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 16
        assert archive.db["articles"].detect_fts() == "articles_fts"  # what sqlite-utils and Datasette look for
        archive.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    assert "tokenize='porter unicode61'" in _fts_sql(path)
    assert _ids(path, "researches") == _ids(path, "research") == {1, 2, 3}
    assert _ids(path, "platelets") == {1, 2} and _ids(path, "血小板") == {3}
    generation, top_generation = snapshot(path, "SELECT generation, top_generation FROM search_state")[0]
    assert generation != top_generation  # lists of unstemmed words are never read
    assert snapshot(path, "SELECT count(*) FROM search_top")[0][0] == 0
    with Archive.open(path) as archive:  # the triggers keep the new index in step
        archive.db.execute("UPDATE articles SET body_seg = 'researching platelets' WHERE id = 3")
        archive.db["articles"].insert({"id": 4, "url": "https://www.itp6.com/4.html", "body_seg": "platelet"})
        archive.db.execute("DELETE FROM articles WHERE id = 1")
        archive.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    assert _ids(path, "platelet") == {2, 3, 4} and _ids(path, "血小板") == set()


def test_an_archive_of_0_1_0_ends_with_the_stemmed_index(old_archive):
    with Archive.open(old_archive) as archive:
        assert archive.db["articles"].detect_fts() == "articles_fts"
        triggers = {trigger.name for trigger in archive.db["articles"].triggers}
        fts_rows = archive.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        articles = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert "tokenize='porter unicode61'" in _fts_sql(old_archive)
    assert {"articles_ai", "articles_ad", "articles_au"} <= triggers and fts_rows == articles == 12


def test_a_new_archive_is_created_with_the_stemmed_index(tmp_path):
    path = tmp_path / "itp6.db"
    Archive.open(path).close()
    assert "tokenize='porter unicode61'" in _fts_sql(path)


def test_an_archive_before_the_labels_and_joined_terms_gets_both(tmp_path):
    """Migrations 0011 and 0013 on an archive of schema 9: its articles labelled, its technical terms
    indexed as single tokens, and the index marked, so searches and the plugins ask for those tokens."""
    import sqlite_utils

    from itp6crawl.query import parse, zh_fts
    from itp6crawl.search import search
    from itp6crawl.store.features import JOINED_TERMS, has_feature

    path = tmp_path / "v9.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="0011_article_labels")
    db.execute("PRAGMA user_version = 9")
    rows = {1: ("TPO-RA 指南", "血小板 30×10^9/l"), 2: ("第2篇", "tpo ra 与 cd4+cd25+"), 3: ("第3篇", "ra tpo")}
    for post_id, (title, body) in rows.items():
        db["articles"].insert(
            {"id": post_id, "url": f"https://www.itp6.com/{post_id}.html", "title": title, "status": "live"}
            | {"title_seg": title.lower(), "body_seg": body, "search_extra": "", "categories": '["指南解读"]'}
            | {"tags": '["ITP"]', "author": "小林"}
        )
    before = {
        query: _ids(path, parse(query, expand=False).match.strip('"')) for query in ("TPO-RA", "10^9/L", "CD4+CD25+")
    }
    assert not has_feature(db.conn, JOINED_TERMS)
    db.close()
    with Archive.open(path) as archive:
        assert has_feature(archive.db.conn, JOINED_TERMS)
        assert archive.db.execute("SELECT count(*) FROM article_labels").fetchone()[0] == 9
        assert zh_fts("TPO-RA", joined_terms=True) == parse("TPO-RA", joined_terms=True).match
    for query, found in before.items():
        assert found and _ids(path, parse(query, expand=False, joined_terms=True).match.strip('"')) == found, query
        assert {hit.id for hit in search(path, query, exact=True)} == found
        assert search(path, query, exact=True).query.match == parse(query, expand=False, joined_terms=True).match
    assert {hit.id for hit in search(path, "TPO-RA", category="指南解读", tag="itp", author="小林")} == {1, 2}
    plugged = sqlite_utils.Database(path)  # the sqlite-utils plugin registers zh_fts for this archive
    plugged_match = plugged.execute("SELECT zh_fts('TPO-RA')").fetchone()[0]  # the concept's token (0014)
    assert plugged_match == parse("TPO-RA", joined_terms=True, concept_terms=True).match
    assert (
        plugged.execute("SELECT zh_fts('TPO-RA', 'exact')").fetchone()[0]
        == parse("TPO-RA", expand=False, joined_terms=True).match
    )


# --------------------------------------------------------------------------- 0010: changes tracked for the top lists


def _three_articles_at(path, stop_before: str, version: int, body: str, *statements: str) -> None:
    """An archive of schema ``version`` (the migrations before ``stop_before``) holding articles 1, 2 and 3,
    article n's body ``body`` n times, then ``statements`` run (what that release had built)."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before=stop_before)
    db.execute(f"PRAGMA user_version = {version}")
    for post_id in (1, 2, 3):
        db["articles"].insert(
            {"id": post_id, "url": f"https://www.itp6.com/{post_id}.html", "status": "live"}
            | {"title_seg": f"第 {post_id} 篇", "body_seg": body * post_id, "search_extra": ""}
        )
    for statement in statements:
        db.execute(statement)
    db.conn.commit()
    db.close()


def test_an_archive_of_schema_9_gets_lists_that_follow_changes_and_triggers_that_fire_on_real_ones(tmp_path):
    """Lists of release 0.9 (scores only) are emptied and stale until the next refresh builds the new
    ones; the old trigger that fired on every save is replaced; sqlite-utils alone can still write the
    archive (plain SQL triggers), and its writes are tracked once the lists exist."""
    import sqlite_utils

    from itp6crawl.search import search

    path = tmp_path / "v9.db"
    _three_articles_at(
        path,
        "0010_search_changes",
        9,
        "血小板 ",
        "INSERT INTO search_top (term, article_id, score) VALUES ('血小板', 3, 1.0)",
        "INSERT INTO search_top_terms VALUES ('血小板', 3, 3, 0.0)",
        "UPDATE search_state SET top_generation = generation",
    )
    with Archive.open(path) as archive:
        connection = archive.db.conn
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 16
        assert connection.execute("SELECT count(*) FROM search_top").fetchone()[0] == 0
        assert {row[1] for row in connection.execute("PRAGMA table_info(search_top)")} >= {"frequency", "size"}
        generation, top_generation, tracking = connection.execute(
            "SELECT generation, top_generation, tracking FROM search_state"
        ).fetchone()
        assert generation != top_generation and not tracking
        built = archive.refresh_search(min_articles=1, size=2)
        assert built is not None and built.tokens > 0 and not built.incremental
    db = sqlite_utils.Database(path)  # no itp6crawl function registered: the triggers are plain SQL
    generation = db.execute("SELECT generation FROM search_state").fetchone()[0]
    db["articles"].update(2, {"body_seg": "血小板 " * 2, "title_seg": "第 2 篇"})  # the same values
    assert db.execute("SELECT generation FROM search_state").fetchone()[0] == generation
    db["articles"].upsert({"id": 4, "url": "https://www.itp6.com/4.html", "body_seg": "血小板 " * 9}, pk="id")
    db["articles"].update(1, {"status": "gone"})
    assert db.execute("SELECT article_id, existed, old_status FROM search_changes ORDER BY 1").fetchall() == [
        (1, 1, "live"),
        (4, 0, None),
    ]
    db.close()
    hits = search(path, "血小板", limit=2, exact=True)
    assert [hit.id for hit in hits] == [4, 3] and hits.total == 3


# --------------------------------------------------------------------------- 0016: positions in the postings


def test_an_archive_of_schema_15_gets_postings_with_positions_at_its_next_refresh(tmp_path):
    """Postings of 0.15 (no positions) are dropped: until the next refresh a search asks FTS5 (and the top
    lists), with the same hits; the refresh then builds them whole, with each word's positions."""

    from itp6crawl.search import search
    from itp6crawl.store.toplists import token_postings

    path = tmp_path / "v15.db"
    _three_articles_at(
        path,
        "0016_search_positions",
        15,
        "医生 建议 ",
        "INSERT INTO search_postings VALUES ('医生', 0, x'01000000', x'0200', x'0400')",
        "UPDATE search_state SET top_generation = generation, postings_shift = 12, tracking = 1",
    )
    with Archive.open(path) as archive:
        connection = archive.db.conn
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 16
        assert {"counts", "positions"} <= {row[1] for row in connection.execute("PRAGMA table_info(search_postings)")}
        assert connection.execute("SELECT count(*) FROM search_postings").fetchone()[0] == 0
        assert token_postings(connection, ["医生"]) is None  # not built: FTS5 answers
        before = search(path, '"医生 建议"', exact=True)
        built = archive.refresh_search(min_articles=1, size=2)
        assert built is not None and not built.incremental
        placed = token_postings(connection, ["医生", "建议"], ["医生", "建议"])
        assert placed is not None and placed["建议"].counts.tolist() == [1, 2, 3]
    after = search(path, '"医生 建议"', exact=True)
    assert [(hit.id, hit.score) for hit in after] == [(hit.id, hit.score) for hit in before] and after.total == 3
