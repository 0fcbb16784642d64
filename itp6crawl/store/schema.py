"""The archive's schema, declared once, and how it grows: sqlite-utils migrations.

Every change of the schema is a new function registered on :data:`migrations`, applied in order
and recorded in ``_sqlite_migrations``; an archive written by an earlier release opens and
upgrades in place. Migrations never drop data: columns are added or renamed, rows rebased.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from ..concept_terms import concept_feature, with_concept_terms
from ..counters import RUN_COUNT_COLUMNS
from ..records import Segments
from ..text import with_joined_terms
from ..times import CST, iso
from ..urls import CANONICAL_SITE, canonical_url, origin_pattern, post_id_from_url
from .content import VERSIONED_COLUMNS, content_hash_of_row
from .datasets import create_dataset_views
from .features import JOINED_TERMS, mark_feature
from .features import SCHEMA as FEATURES_SCHEMA
from .labels import FILL as FILL_LABELS
from .labels import SCHEMA as LABELS_SCHEMA
from .lexicon import create_and_fill as create_and_fill_search_words
from .postings import POSITIONS_SCHEMA
from .postings import SCHEMA as POSTINGS_SCHEMA
from .readonly import ArchiveError, ArchiveReadOnly, ArchiveTooNew, NotAnArchive, readonly_uri_query
from .toplists import SCHEMA as TOP_LISTS_SCHEMA
from .toplists import changes_schema, index_tokenizer

SCHEMA_VERSION = 16  # PRAGMA user_version: the number of migrations in the newest schema
# PRAGMA application_id of every itp6crawl archive ("ITP6" in ASCII), set by migration 0007: the mark
# that tells our file from another program's SQLite database before a byte is written to either.
APPLICATION_ID = 0x49545036
FTS_COLUMNS = ["title_seg", "body_seg", "search_extra"]
FTS_TOKENIZE = "porter unicode61"  # since migration 0008: English words stemmed (text.porter_stem), Han as is
OUR_TABLES = frozenset({"articles", "links", "comments", "article_versions", "crawl_runs", "failures"})

ARTICLE_COLUMNS: dict[str, type] = {
    "id": int,
    "url": str,
    "title": str,
    "author": str,
    "credit": str,
    "published_at": str,
    "modified_at": str,
    "categories": str,
    "tags": str,
    "summary": str,
    "body_text": str,
    "body_html": str,
    "images": str,
    "views": int,
    "likes": int,
    "title_seg": str,
    "body_seg": str,
    "search_extra": str,
    "content_hash": str,
    "extractor": str,
    "status": str,
    "first_seen_at": str,
    "fetched_at": str,
    "changed_at": str,
}
migrations = Migrations("itp6crawl")


@migrations(name="0001_initial")
def initial(db: sqlite_utils.Database) -> None:
    """The schema of release 0.1.0 (a no-op on archives that release wrote)."""
    db.table("articles").create(ARTICLE_COLUMNS, pk="id", not_null={"url"}, if_not_exists=True)
    db.table("articles").create_index(["url"], unique=True, if_not_exists=True)
    db.table("articles").create_index(["published_at"], if_not_exists=True)
    db.table("links").create(
        {"src_id": int, "kind": str, "position": int, "dst_url": str, "dst_id": int, "title": str, "date": str},
        pk=("src_id", "kind", "position"),
        foreign_keys=[("src_id", "articles", "id")],
        if_not_exists=True,
    )
    db.table("links").create_index(["dst_url"], if_not_exists=True)
    db.table("comments").create(
        {
            "article_id": int,
            "position": int,
            "comment_id": int,
            "parent_id": int,
            "author": str,
            "time": str,
            "text": str,
        },
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    versions: dict[str, type] = {"article_id": int, "version": int, "archived_at": str}
    versions.update({column: ARTICLE_COLUMNS[column] for column in VERSIONED_COLUMNS})
    db.table("article_versions").create(
        versions, pk=("article_id", "version"), foreign_keys=[("article_id", "articles", "id")], if_not_exists=True
    )
    db.table("crawl_runs").create(
        {
            "id": int,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "pages": int,
            "articles_new": int,
            "articles_changed": int,
            "articles_unchanged": int,
            "failures": int,
            "fallbacks": int,
            "stats": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("failures").create(
        {"id": int, "run_id": int, "url": str, "status": int, "reason": str, "at": str},
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id")],
        if_not_exists=True,
    )
    db.table("failures").create_index(["url"], if_not_exists=True)
    if not db.table("articles").detect_fts():
        db.table("articles").enable_fts(FTS_COLUMNS, fts_version="FTS5", create_triggers=True)


@migrations(name="0002_crawl_state_and_run_log")
def crawl_state_and_run_log(db: sqlite_utils.Database) -> None:
    """Incremental crawls: per-URL crawl state, gone articles, WARC sources, and the full run log."""
    articles = db.table("articles")
    for column, kind in (("gone_at", str), ("warc_file", str), ("warc_offset", int)):
        if column not in articles.columns_dict:
            articles.add_column(column, kind)
    articles.create_index(["status"], if_not_exists=True)
    db.table("crawl_state").create(
        {
            "url": str,  # canonical URL (urls.canonical_url)
            "post_id": int,
            "etag": str,
            "last_modified": str,
            "sitemap_lastmod": str,
            "content_hash": str,
            "status": int,  # the last HTTP status
            "fetched_at": str,  # the last time a response came (200 or 304)
            "changed_at": str,  # the last time its content hash changed
            "in_sitemap": int,  # 1 when the last request came from a sitemap
            "warc_file": str,
            "warc_offset": int,
        },
        pk="url",
        if_not_exists=True,
    )
    db.table("crawl_state").create_index(["post_id"], if_not_exists=True)
    runs = db.table("crawl_runs")
    runs.transform(
        rename={"pages": "fetched", "failures": "failed"},
        types={column: int for column in RUN_COUNT_COLUMNS if column in runs.columns_dict},
    )
    for column in ("exit_status", *RUN_COUNT_COLUMNS, "full", "error", "warc_file"):
        if column not in runs.columns_dict:
            runs.add_column(column, str if column in ("error", "warc_file") else int)
    # Runs of 0.1.0 that never finished were killed: say so instead of leaving them open forever.
    db.execute("UPDATE crawl_runs SET finish_reason = 'killed' WHERE finished_at IS NULL")


@migrations(name="0003_canonical_urls")
def canonical_urls(db: sqlite_utils.Database) -> None:
    """Rebase the site's own URLs on the canonical origin (0.1.0 stored whatever host and port served
    them, so the local replica's port made every re-run a change) and recompute the content hashes."""
    sites = {row[0] for row in db.execute("SELECT DISTINCT site FROM crawl_runs WHERE site IS NOT NULL")}
    patterns = [origin_pattern(site) for site in sorted(sites | {CANONICAL_SITE})]

    def rebase(value: str | None) -> str | None:
        for pattern in patterns:
            value = pattern.sub(CANONICAL_SITE, value) if value else value
        return value

    def rebase_url(url: str | None) -> str | None:
        rebased = rebase(url)
        return canonical_url(rebased) if rebased and post_id_from_url(rebased) is not None else rebased

    for table, key in (("articles", ("id",)), ("article_versions", ("article_id", "version"))):
        for row in list(db.table(table).rows):
            row["url"] = rebase_url(row["url"])
            row["body_html"] = rebase(row["body_html"])
            row["images"] = _rebase_images(row["images"], rebase_url)
            row["content_hash"] = content_hash_of_row(row)
            changes = {column: row[column] for column in ("url", "body_html", "images", "content_hash")}
            db.table(table).update(tuple(row[k] for k in key) if len(key) > 1 else row[key[0]], changes)
    for rowid, dst_url in list(db.execute("SELECT rowid, dst_url FROM links").fetchall()):
        db.execute("UPDATE links SET dst_url = ? WHERE rowid = ?", [rebase_url(dst_url), rowid])
    db.execute(
        "UPDATE links SET dst_id = (SELECT id FROM articles WHERE articles.url = links.dst_url) WHERE dst_id IS NULL"
    )


@migrations(name="0004_search_filter_index")
def search_filter_index(db: sqlite_utils.Database) -> None:
    """A covering index of the columns search filters on, so a filter reads this narrow index instead
    of every wide article row (whose early columns may sit in overflow pages behind the body)."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS articles_search_filters"
        " ON articles (status, published_at, author, credit, categories, tags)"
    )


@migrations(name="0005_search_top_lists")
def search_top_lists(db: sqlite_utils.Database) -> None:
    """Top lists of frequent search tokens and the generation counter that tells when they are stale
    (see :mod:`itp6crawl.store.toplists`); built by the next crawl, ``reindex`` or ``Archive.refresh_search``."""
    for statement in TOP_LISTS_SCHEMA:
        db.execute(statement)


@migrations(name="0006_dataset_views")
def dataset_views(db: sqlite_utils.Database) -> None:
    """The dataset views (``dataset_articles``, ``dataset_links``, ``dataset_comments``,
    ``dataset_versions``): live articles and what hangs off them, without the internal columns
    (segmented text, hashes, WARC offsets); see :mod:`itp6crawl.store.datasets`."""
    create_dataset_views(db.conn)


@migrations(name="0007_archive_identity")
def archive_identity(db: sqlite_utils.Database) -> None:
    """The archive's identity: ``PRAGMA application_id`` marks the file as an itp6crawl archive, and
    ``archive_info`` holds its id (a UUID), written into every WARC file of its runs, so that two archives
    in one folder never share or replay each other's raw files."""
    if "archive_info" not in db.table_names():
        db.table("archive_info").create(
            {"id": int, "archive_id": str, "created_at": str, "created_by": str, "written_by": str},
            pk="id",
        )
        db.table("archive_info").insert(
            {
                "id": 1,
                "archive_id": str(uuid.uuid4()),
                "created_at": iso(datetime.now(CST)),
                "created_by": release(),
                "written_by": release(),
            }
        )
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


@migrations(name="0008_porter_stemming")
def porter_stemming(db: sqlite_utils.Database) -> None:
    """English words stemmed in the index: ``articles_fts`` rebuilt with FTS5's ``porter unicode61``
    tokenizer (and its triggers), so ``research`` and ``researches`` find each other in the CLI, Datasette
    and ``sqlite-utils search`` alike; Chinese words are left as they were. The top lists hold scores of
    the unstemmed index: emptied, and marked stale until the next crawl, ``reindex`` or
    ``Archive.refresh_search`` builds them again."""
    articles = db.table("articles")
    articles.enable_fts(FTS_COLUMNS, fts_version="FTS5", create_triggers=True, tokenize=FTS_TOKENIZE, replace=True)
    db.execute("DELETE FROM search_top")
    db.execute("DELETE FROM search_top_terms")
    db.execute("UPDATE search_state SET generation = generation + 1")


# What the revisit policy learns per URL (itp6crawl.revisit.PostHistory), added by migration 0009.
REVISIT_COLUMNS: dict[str, type] = {
    "first_fetched_at": str,  # the first fetch with a readable page: where its observation starts
    "checks": int,  # re-reads compared with the archived version
    "changes": int,  # of those, the ones that found a change (content or new comments)
    "signalled_at": str,  # a signal (feed, REST, comments, lastmod) named a change no fetch has read yet
    "signal": str,  # which signal
}


@migrations(name="0009_revisit_history")
def revisit_history(db: sqlite_utils.Database) -> None:
    """Scheduled crawls on the site's real terms: each URL's re-read history (how often it was compared
    and found changed, what a signal named and no fetch has read yet), the marks the change signals are
    read back to (``crawl_marks``), and the comments a run added to unchanged articles."""
    state = db.table("crawl_state")
    for column, kind in REVISIT_COLUMNS.items():
        if column not in state.columns_dict:
            state.add_column(column, kind)
    db.execute("UPDATE crawl_state SET first_fetched_at = fetched_at WHERE first_fetched_at IS NULL")
    db.execute("UPDATE crawl_state SET checks = 0 WHERE checks IS NULL")
    db.execute("UPDATE crawl_state SET changes = 0 WHERE changes IS NULL")
    db.table("crawl_marks").create({"name": str, "value": str, "updated_at": str}, pk="name", if_not_exists=True)
    runs = db.table("crawl_runs")
    if "comments_added" not in runs.columns_dict:
        runs.add_column("comments_added", int)


@migrations(name="0010_search_changes")
def search_changes(db: sqlite_utils.Database) -> None:
    """Top lists kept fresh incrementally (see :mod:`itp6crawl.store.toplists`): lists that store each
    article's weighted count and size, so their scores follow the index's statistics; ``search_changes``
    and two small FTS5 tables that the triggers fill with the articles changed since the last refresh
    (their text then and now); triggers that fire only when a search column or the status really
    changes. The lists are emptied, and built by the next crawl, ``reindex`` or ``Archive.refresh_search``."""
    for statement in changes_schema(index_tokenizer(db.conn) or "unicode61"):
        db.execute(statement)


@migrations(name="0011_article_labels")
def article_labels(db: sqlite_utils.Database) -> None:
    """An index of each article's categories, tags and authors (``article_labels``, kept by triggers; see
    :mod:`itp6crawl.store.labels`), so filtered searches and exports read one range of it instead of
    ``json_each()`` over every article."""
    for statement in (*LABELS_SCHEMA, *FILL_LABELS):
        db.execute(statement)


@migrations(name="0012_search_words")
def search_words(db: sqlite_utils.Database) -> None:
    """The archive's words for "did you mean": ``search_words`` (each distinct word of the segmented
    columns, the live articles holding it) and ``search_sounds`` (the sound keys of the Chinese ones),
    filled from the articles; see :mod:`itp6crawl.store.lexicon`."""
    create_and_fill_search_words(db.conn)


JOINED_TERMS_BATCH = 500  # articles read at a time (their bodies are large)


@migrations(name="0013_joined_technical_terms")
def joined_technical_terms(db: sqlite_utils.Database) -> None:
    """Technical terms as single index tokens (:func:`itp6crawl.text.with_joined_terms`): each article's
    ``title_seg`` and ``search_extra`` gain the joined tokens of its segmented columns (the FTS triggers
    index them), and ``search_features`` marks the index, so queries ask for ``TPO-RA`` as one token
    instead of a phrase of two common words. The top lists go stale (the columns changed) until rebuilt."""
    for statement in FEATURES_SCHEMA:
        db.execute(statement)
    _add_index_tokens(db, with_joined_terms)
    mark_feature(db.conn, JOINED_TERMS, iso(datetime.now(CST)))


@migrations(name="0014_concept_terms")
def concept_terms(db: sqlite_utils.Database) -> None:
    """Each vocabulary concept an article names as one index token per occurrence
    (:mod:`itp6crawl.concept_terms`), and the index marked with the vocabulary's hash, so a query names a
    concept as one word: one posting list, and one score for all its names. The top lists go stale until
    rebuilt."""
    _add_index_tokens(db, with_concept_terms)
    mark_feature(db.conn, concept_feature(), iso(datetime.now(CST)))


@migrations(name="0015_search_postings")
def search_postings(db: sqlite_utils.Database) -> None:
    """Every frequent token's articles with their counts and sizes, as packed arrays (``search_postings``,
    see :mod:`itp6crawl.store.postings`), so that ANDs and ORs of frequent words are counted and ranked
    without FTS5 reading and scoring every match. Built by the next refresh of the top lists (a crawl,
    ``reindex`` or ``Archive.refresh_search``), then kept with them."""
    for statement in POSTINGS_SCHEMA:
        db.execute(statement)
    if "postings_shift" not in db.table("search_state").columns_dict:
        db.execute("ALTER TABLE search_state ADD COLUMN postings_shift INTEGER")
    db.execute("UPDATE search_state SET generation = generation + 1")  # the next refresh builds them


@migrations(name="0016_search_positions")
def search_positions(db: sqlite_utils.Database) -> None:
    """Where each frequent token stands in each of its articles (``counts`` and ``positions`` in
    ``search_postings``), so that a phrase of common words is found and ranked without FTS5 checking the
    positions of every article holding all its words. The postings are dropped and built again, with their
    positions, by the next refresh (until then a search asks FTS5 and the top lists, as before 0015)."""
    for statement in POSITIONS_SCHEMA:
        db.execute(statement)
    db.execute("DELETE FROM search_postings")
    db.execute("UPDATE search_state SET postings_shift = NULL, generation = generation + 1")


def _add_index_tokens(db: sqlite_utils.Database, add: Callable[[Segments], Segments]) -> None:
    """Every article's ``title_seg`` and ``search_extra`` as ``add`` extends them (the FTS triggers index
    them), in batches of ``JOINED_TERMS_BATCH`` articles (their bodies are large)."""
    last = -1
    while True:
        rows = db.execute(
            "SELECT id, title_seg, body_seg, search_extra FROM articles WHERE id > ? ORDER BY id LIMIT ?",
            [last, JOINED_TERMS_BATCH],
        ).fetchall()
        if not rows:
            break
        for article_id, title_seg, body_seg, search_extra in rows:
            segments = Segments(title_seg or "", body_seg or "", search_extra or "")
            extended = add(segments)
            if extended != segments:
                db.execute(
                    "UPDATE articles SET title_seg = ?, search_extra = ? WHERE id = ?",
                    [extended.title_seg, extended.search_extra, article_id],
                )
        last = rows[-1][0]


def release() -> str:
    """This release of itp6crawl, as the archive records who created and last wrote it."""
    try:
        return version("itp6crawl")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout that was never installed
        return "dev"


@dataclass(frozen=True, slots=True)
class ArchiveIdentity:
    """Who an archive is: its id (a UUID, in its WARC files' ``warcinfo``) and its file name."""

    archive_id: str
    name: str

    @property
    def short(self) -> str:
        return self.archive_id[:8]


def archive_identity_of(db: sqlite_utils.Database, path: Path) -> ArchiveIdentity:
    row = db.execute("SELECT archive_id FROM archive_info WHERE id = 1").fetchone()
    return ArchiveIdentity(row[0], path.name)


def adopt_identity(db: sqlite_utils.Database, archive_id: str) -> None:
    """Give the archive ``archive_id`` (``reindex`` of another archive's WARC files into a new file)."""
    db.execute("UPDATE archive_info SET archive_id = ? WHERE id = 1", [archive_id])


def _rebase_images(images: str | None, rebase_url: Callable[[str | None], str | None]) -> str | None:
    if not images:
        return images
    items = json.loads(images)
    for image in items:
        image["src"] = rebase_url(image.get("src"))
    return json.dumps(items, ensure_ascii=False)


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_archive_file(path: Path) -> None:
    """Refuse, before anything is written, a file that is not a SQLite database, is someone else's (marked
    by another ``application_id``, or without our mark and our tables), or was written by a newer release."""
    if not path.exists():
        return
    if path.is_dir():
        raise NotAnArchive(f"{path} is a folder, not an archive file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise ArchiveError(f"cannot read {path}: {error.strerror or error}") from error
    if header and header != SQLITE_MAGIC:
        raise NotAnArchive(f"{path} is not a SQLite database (refusing to write into it)")
    if not header:
        return  # an empty file: SQLite treats it as a new database
    connection = sqlite3.connect(path.resolve().as_uri() + readonly_uri_query(path), uri=True)
    try:
        facts = _file_facts(connection)
    except sqlite3.DatabaseError as error:
        raise NotAnArchive(f"{path} is not a readable SQLite database: {error}") from error
    finally:
        connection.close()
    _judge(path, facts)


@dataclass(slots=True)
class _FileFacts:
    application_id: int
    user_version: int
    tables: set[str]
    migrations: list[str]  # names recorded for our migration set
    written_by: str | None


def _file_facts(connection: sqlite3.Connection) -> _FileFacts:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    applied: list[str] = []
    if "_sqlite_migrations" in tables:
        applied = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
            )
        ]
    written_by = None
    if "archive_info" in tables:
        row = connection.execute("SELECT written_by FROM archive_info WHERE id = 1").fetchone()
        written_by = row[0] if row else None
    return _FileFacts(
        application_id=connection.execute("PRAGMA application_id").fetchone()[0],
        user_version=connection.execute("PRAGMA user_version").fetchone()[0],
        tables=tables,
        migrations=applied,
        written_by=written_by,
    )


def _judge(path: Path, facts: _FileFacts) -> None:
    """Ours (marked, or an archive of a release before the mark: our migrations recorded, or release 0.1.0's
    tables and user_version), an empty database, or refused with the reason."""
    marked = facts.application_id == APPLICATION_ID
    if facts.application_id not in (0, APPLICATION_ID):
        raise NotAnArchive(
            f"{path} is a SQLite database of another program (application_id {facts.application_id:#x});"
            " refusing to add ours"
        )
    unmarked_ours = bool(facts.migrations) or (facts.user_version >= 1 and facts.tables >= OUR_TABLES)
    if not marked and not unmarked_ours:
        if not facts.tables:
            return  # an empty SQLite database: nothing to lose, it becomes an archive
        listed = ", ".join(sorted(facts.tables)[:5])
        raise NotAnArchive(f"{path} is a SQLite database of something else (tables: {listed}); refusing to add ours")
    known = {migration.name for migration in migrations._migrations}
    unknown = [name for name in facts.migrations if name not in known]
    if facts.user_version > SCHEMA_VERSION or unknown:
        newer = facts.written_by or "a newer release"
        raise ArchiveTooNew(
            f"{path} was written by itp6crawl {newer} (schema {max(facts.user_version, len(facts.migrations))});"
            f" this is itp6crawl {release()} (schema {SCHEMA_VERSION}): upgrade itp6crawl to use it"
        )


def check_writable(path: Path) -> None:
    """Refuse, with one line and before anything is created, an archive whose file or folder is read-only
    (a writing command needs the folder too: the WAL, the lock, the WARC files live beside the file)."""
    folder = path.parent if str(path.parent) else Path(".")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise ArchiveReadOnly(
            f"{path} is read-only: crawl and reindex need to write it"
            " (search, serve, stats, runs and export read it as it is)"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ArchiveReadOnly(
            f"the folder {existing} is read-only: crawl and reindex write the archive, its WAL, lock and WARC"
            " files there (search, serve, stats, runs and export read the archive as it is)"
        )


def _create(path: Path) -> None:
    """A new archive, built beside ``path`` and moved into place whole: a reader that opens ``path`` (a
    search started with the first crawl) finds no file, or every table, never a half-made schema."""
    building = path.with_name(path.name + ".creating")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    db = sqlite_utils.Database(building)
    try:
        migrations.apply(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        db.close()
    os.replace(building, path)


WAL_CHECKPOINT_PAGES = 10_000


def open_database(path: Path) -> sqlite_utils.Database:
    """Open for writing (creating folders and file as needed) and upgrade the archive at ``path``.

    Refused before any byte is written: a file that is not our archive, one of a newer release, and a
    read-only file or folder."""
    check_archive_file(path)
    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")  # wait out a reader's or another writer's short transaction
    db.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL never corrupts the file; a power cut may lose only the last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint the WAL into the database every 40 MiB instead of SQLite's 4 MiB: each checkpoint syncs
    # the file, and a crawl rewrites the same FTS and index pages many times between two of them (saves
    # cost 15% less). The last connection to close empties the WAL.
    db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    db.execute("PRAGMA foreign_keys=ON")
    if migrations.pending(db):
        migrations.apply(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    with db.conn:
        db.execute(
            "UPDATE archive_info SET written_by = ? WHERE id = 1 AND written_by IS NOT ?", [release(), release()]
        )
    return db
