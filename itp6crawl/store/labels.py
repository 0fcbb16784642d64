"""The labels search and export filter by: an index of each article's categories, tags and authors.

``article_labels`` holds one row per (kind, label, article): ``category`` rows each text value of the
article's ``categories`` (a JSON array) as written, ``tag`` rows each text value of ``tags`` folded by
SQLite's ``lower()`` (ASCII only, exactly as ``COLLATE NOCASE`` compares), ``author`` rows the author and
the credit. A filter reads one range of the key instead of ``json_each()`` over every article (17-66 ms
at 100,000 articles), and a filtered search's exact total intersects that range with the matches.

Plain SQL triggers on ``articles`` keep the rows right whoever writes the archive (itp6crawl,
sqlite-utils, Datasette, the sqlite3 shell): on insert (also an ``INSERT OR REPLACE``, whose delete fires
no trigger), on a real change of the labelled columns, and on delete. Migration 0011 fills them for
an existing archive. Invalid JSON gives no labels (``json_each()`` would raise on it).
"""

from __future__ import annotations

# The labels of the row ``new`` as the rows to insert: the filters' semantics (datasets.ARTICLE_FILTERS).
_JSON_TEXTS = "json_each(CASE WHEN json_valid(new.{column}) THEN new.{column} ELSE '[]' END) WHERE type = 'text'"
_LABELS_OF_NEW = (
    "INSERT OR IGNORE INTO article_labels (kind, label, article_id)"
    f" SELECT 'category', value, new.id FROM {_JSON_TEXTS.format(column='categories')}"
    f" UNION ALL SELECT 'tag', lower(value), new.id FROM {_JSON_TEXTS.format(column='tags')}"
    " UNION ALL SELECT 'author', new.author, new.id WHERE new.author IS NOT NULL"
    " UNION ALL SELECT 'author', new.credit, new.id WHERE new.credit IS NOT NULL;"
)
_LABELLED = ("id", "categories", "tags", "author", "credit")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS article_labels ("
    " kind TEXT NOT NULL, label TEXT NOT NULL, article_id INTEGER NOT NULL,"
    " PRIMARY KEY (kind, label, article_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS article_labels_by_article ON article_labels (article_id)",
    "CREATE TRIGGER IF NOT EXISTS article_labels_insert AFTER INSERT ON articles BEGIN"
    " DELETE FROM article_labels WHERE article_id = new.id; " + _LABELS_OF_NEW + " END",
    f"CREATE TRIGGER IF NOT EXISTS article_labels_update AFTER UPDATE OF {', '.join(_LABELLED)} ON articles"
    " WHEN " + " OR ".join(f"old.{column} IS NOT new.{column}" for column in _LABELLED) + " BEGIN"
    " DELETE FROM article_labels WHERE article_id = old.id; " + _LABELS_OF_NEW + " END",
    "CREATE TRIGGER IF NOT EXISTS article_labels_delete AFTER DELETE ON articles BEGIN"
    " DELETE FROM article_labels WHERE article_id = old.id; END",
)

# Migration 0011: every article's labels, as the insert trigger writes them.
FILL = (
    "DELETE FROM article_labels",
    "INSERT OR IGNORE INTO article_labels (kind, label, article_id)"
    " SELECT 'category', value, articles.id FROM articles, json_each(CASE WHEN json_valid(articles.categories)"
    " THEN articles.categories ELSE '[]' END) WHERE type = 'text'"
    " UNION ALL SELECT 'tag', lower(value), articles.id FROM articles, json_each(CASE WHEN json_valid(articles.tags)"
    " THEN articles.tags ELSE '[]' END) WHERE type = 'text'"
    " UNION ALL SELECT 'author', author, id FROM articles WHERE author IS NOT NULL"
    " UNION ALL SELECT 'author', credit, id FROM articles WHERE credit IS NOT NULL",
)
