"""The :class:`Archive` facade: one open SQLite file and its three writers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from .articles import Articles
from .crawlstate import CrawlState
from .runlog import RunLog
from .schema import ArchiveIdentity, adopt_identity, archive_identity_of, open_database
from .toplists import TopListsBuilt, refresh_top_lists

# What ``reindex`` rebuilds from the WARC files, children first.
DERIVED_TABLES = ("links", "comments", "article_versions", "articles", "crawl_state", "crawl_marks")


class Archive:
    """The SQLite archive. Open it with :meth:`open`; use as a context manager to close it."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self.articles = Articles(db)
        self.state = CrawlState(db)
        self.runs = RunLog(db)

    @classmethod
    def open(cls, path: str | Path) -> Archive:
        """Open the archive at ``path``, creating it (and its folders) or upgrading it as needed.

        Raises :class:`NotAnArchive` for a file that is not one, before anything is written to it."""
        return cls(open_database(Path(path)), Path(path))

    def identity(self) -> ArchiveIdentity:
        """The archive's id and file name, as its WARC files name their archive."""
        return archive_identity_of(self.db, self.path or Path("archive.db"))

    def adopt_identity(self, archive_id: str) -> None:
        """Take ``archive_id`` as this archive's id (a rebuild from another archive's WARC files alone)."""
        adopt_identity(self.db, archive_id)

    def clear_derived(self) -> None:
        """Delete everything a rebuild from WARC files makes again (articles, their versions, links and
        comments, the crawl state), in one transaction; the run log stays, it is history."""
        with self.db.conn:
            for table in DERIVED_TABLES:
                self.db.execute(f"DELETE FROM {table}")
            self.articles.words.forget_counts()  # the words stay, counted again as the articles come back

    def refresh_search(self, **options: Any) -> TopListsBuilt | None:
        """Bring the search top lists up to date if the index changed since their last refresh (a crawl's
        last step): the changed articles folded in, or every list rebuilt after many changes; ``options``
        as :func:`~itp6crawl.store.toplists.refresh_top_lists` takes them."""
        return refresh_top_lists(self.db.conn, **options)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
