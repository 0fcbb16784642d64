"""The read-only connection: one snapshot for everything read through it."""

from __future__ import annotations

import shutil

from itp6crawl.store import Archive, Segments
from itp6crawl.store.readonly import connect_readonly


def test_a_reader_sees_one_snapshot_while_a_writer_commits(replica_archive, tmp_path, article_factory, fetch_time):
    path = tmp_path / "itp6.db"
    shutil.copy(replica_archive, path)
    with connect_readonly(path) as reader:
        before = reader.execute("SELECT count(*) FROM articles").fetchone()[0]
        with Archive.open(path) as writer:
            writer.articles.save(article_factory(999_999), Segments("t", "b", ""), fetch_time)
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == before
        assert reader.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == before
    with connect_readonly(path) as later:
        assert later.execute("SELECT count(*) FROM articles").fetchone()[0] == before + 1
