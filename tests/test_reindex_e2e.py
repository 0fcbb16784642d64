"""Each archive owns its WARC files: two archives in one folder never share a file, and ``reindex``
replays only its own archive's records, also from the legacy ``<run-id>.warc.gz`` files that releases
before the archive's identity shared between archives (issue [7])."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from conftest import local_crawl, run_itp6crawl

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.store import SCHEMA_VERSION
from itp6crawl.warc import WarcFile, warcinfo_of

CONTENT = "id, url, title, author, credit, published_at, modified_at, categories, tags, summary, body_text, body_html"


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def rows(db: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def content(db: Path) -> list[tuple]:
    return rows(db, f"SELECT {CONTENT}, status FROM articles ORDER BY id")


def comments(db: Path) -> list[tuple]:
    return rows(db, "SELECT * FROM comments ORDER BY article_id, position")


def archive_id(db: Path) -> str:
    return rows(db, "SELECT archive_id FROM archive_info")[0][0]


@pytest.fixture(scope="module")
def two_sites():
    """Two different sites (other posts, other texts), served at once."""
    first, second = build_site(n_articles=30, seed=41), build_site(n_articles=30, seed=42)
    with ReplicaServer(first) as a, ReplicaServer(second) as b:
        yield a, b


def test_two_archives_in_one_folder_keep_their_own_warc_files_and_each_reindexes_to_its_crawl(tmp_path, two_sites):
    server_a, server_b = two_sites
    folder = tmp_path / "archive"
    itp6, demo = folder / "itp6.db", folder / "demo.db"
    ok(local_crawl(server_a.base_url, itp6))
    ok(local_crawl(server_b.base_url, demo))
    ok(local_crawl(server_a.base_url, itp6))  # a second run of the first archive: its run 2
    crawled = {db: (content(db), comments(db)) for db in (itp6, demo)}
    ids = {itp6: archive_id(itp6), demo: archive_id(demo)}
    assert ids[itp6] != ids[demo]
    assert len(crawled[itp6][0]) == len(crawled[demo][0]) == 30
    files = sorted((folder / "warc").iterdir())
    assert [path.name for path in files] == sorted(
        [f"demo-{ids[demo][:8]}-1.warc.gz", f"itp6-{ids[itp6][:8]}-1.warc.gz", f"itp6-{ids[itp6][:8]}-2.warc.gz"]
    )
    for path in files:
        info = warcinfo_of(path)
        owner = itp6 if path.name.startswith("itp6-") else demo
        assert info["itp6crawl-archive-id"] == ids[owner] and info["itp6crawl-archive"] == owner.name
        assert info["isPartOf"].startswith(f"itp6crawl archive {ids[owner]}")
    for db, others in ((itp6, 1), (demo, 2)):
        result = ok(run_itp6crawl("reindex", "--db", str(db), "--jobs", "1"))
        assert f"refused {others} WARC files" in result.stderr and "of other archives" in result.stderr
        assert (content(db), comments(db)) == crawled[db], db
        assert archive_id(db) == ids[db]  # the rebuild keeps the archive's identity


def test_a_crawl_never_appends_to_another_archives_warc_file(tmp_path):
    path = tmp_path / "itp6-00000000-1.warc.gz"
    identity = {"itp6crawl-archive-id": "aaaaaaaa-0000-0000-0000-000000000000"}
    WarcFile.open(path, identity).close()
    other = {"itp6crawl-archive-id": "bbbbbbbb-0000-0000-0000-000000000000"}
    with pytest.raises(ValueError, match=r"belongs to archive aaaaaaaa-.* not to archive bbbbbbbb-.*refusing to mix"):
        WarcFile.open(path, other)
    WarcFile.open(path, identity).close()  # its own archive appends


def test_reindex_into_a_new_file_from_a_folder_of_two_archives_refuses_to_guess(tmp_path, two_sites):
    server_a, server_b = two_sites
    folder = tmp_path / "archive"
    ok(local_crawl(server_a.base_url, folder / "itp6.db"))
    ok(local_crawl(server_b.base_url, folder / "demo.db"))
    rebuilt = tmp_path / "rebuilt.db"
    result = run_itp6crawl("reindex", "--db", str(rebuilt), "--warc", str(folder / "warc"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "holds the files of 2 archives" in result.stderr and "demo" in result.stderr and "itp6" in result.stderr
    assert not rebuilt.exists() and [p.name for p in tmp_path.glob("rebuilt.db*")] == ["rebuilt.db.lock"]


def _first_member_length(data: bytes) -> int:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decompressor.decompress(data)
    return len(data) - len(decompressor.unused_data)


def _as_release_0_2(db: Path) -> None:
    """Undo migration 0007: the archive as releases before the archive's identity left it."""
    connection = sqlite3.connect(db)
    try:
        connection.execute("DROP TABLE archive_info")
        connection.execute("DELETE FROM _sqlite_migrations WHERE name = '0007_archive_identity'")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
        connection.execute("PRAGMA application_id = 0")
        connection.execute("UPDATE crawl_runs SET warc_file = id || '.warc.gz'")
        connection.commit()
    finally:
        connection.close()


def test_a_legacy_warc_file_shared_by_two_archives_replays_only_each_archives_own_records(tmp_path, two_sites):
    """What the old layout did: ``archive/itp6.db`` and ``archive/demo.db`` both appended their run 1 to
    ``archive/warc/1.warc.gz``. After the upgrade each reindexes to exactly its own crawl."""
    server_a, server_b = two_sites
    itp6, demo = tmp_path / "a" / "itp6.db", tmp_path / "b" / "demo.db"
    ok(local_crawl(server_a.base_url, itp6))
    ok(local_crawl(server_b.base_url, demo))
    crawled = {db: content(db) for db in (itp6, demo)}
    shared = tmp_path / "shared"
    legacy = shared / "warc" / "1.warc.gz"
    WarcFile.open(legacy).close()  # the old warcinfo: no archive named
    with legacy.open("ab") as out:
        for db in (itp6, demo):  # each run's records, after its own warcinfo, appended as the old code did
            (source,) = (db.parent / "warc").iterdir()
            data = source.read_bytes()
            out.write(data[_first_member_length(data) :])
    for db in (itp6, demo):
        _as_release_0_2(db)
        (shared / db.name).write_bytes(db.read_bytes())
    for db in (itp6, demo):
        moved = shared / db.name
        result = ok(run_itp6crawl("reindex", "--db", str(moved), "--jobs", "1"))
        assert "records in shared legacy files of other archives" in result.stderr
        assert content(moved) == crawled[db], db
        assert len(archive_id(moved)) == 36  # migrated: it has an identity now
    assert legacy.exists()  # the history stays where it was
