"""An archive rebuilt in a copy: replaced only when the rebuild completes."""

from __future__ import annotations

import pytest

from itp6crawl.replica import DEFAULT_NOW
from itp6crawl.store import Archive
from itp6crawl.store.rebuild import rebuilt_in_copy

SITE = "https://www.itp6.com"


def runs(path) -> int:
    with Archive.open(path) as archive:
        return archive.db.table("crawl_runs").count


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "a.db"
    with Archive.open(path) as archive:
        archive.runs.begin(SITE, DEFAULT_NOW)
    return path


def leftovers(db) -> list[str]:
    return sorted(path.name for path in db.parent.iterdir() if ".reindex" in path.name)


def test_a_completed_rebuild_replaces_the_archive(db):
    with rebuilt_in_copy(db) as archive:
        assert archive.path.name == "a.db.reindex" and archive.db.table("crawl_runs").count == 1
        archive.runs.begin(SITE, DEFAULT_NOW)
        assert runs(db) == 1  # the archive itself is untouched meanwhile
    assert runs(db) == 2 and leftovers(db) == []


def test_a_failed_rebuild_leaves_the_archive_as_it_was_and_no_copy(db):
    with pytest.raises(KeyboardInterrupt), rebuilt_in_copy(db) as archive:
        archive.runs.begin(SITE, DEFAULT_NOW)
        raise KeyboardInterrupt
    assert runs(db) == 1 and leftovers(db) == []


def test_a_copy_left_by_a_killed_rebuild_is_not_reused(db):
    (db.parent / "a.db.reindex").write_bytes(b"half a database")
    with rebuilt_in_copy(db) as archive:
        assert archive.db.table("crawl_runs").count == 1
    assert runs(db) == 1 and leftovers(db) == []


def test_a_rebuild_without_an_archive_makes_a_new_one(tmp_path):
    db = tmp_path / "new.db"
    with rebuilt_in_copy(db) as archive:
        archive.runs.begin(SITE, DEFAULT_NOW)
    assert runs(db) == 1
