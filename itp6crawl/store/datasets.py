"""The dataset views: what leaves the archive, without its internal columns.

Each view is one SELECT over the archive's tables; migration 0006 creates them for live articles, and
:func:`dataset_rows` runs the same SELECT with an export's filters (status, dates, category, tag, a
search) so ``itp6crawl export`` and the views never disagree. Plain ``sqlite3``: no sqlite-utils needed to
read them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The articles an export or a view covers: ``{articles}`` is replaced by a condition on ``articles``.
_ARTICLES = """
SELECT articles.id, articles.url, articles.title, articles.author, articles.credit, articles.status,
  articles.published_at, articles.modified_at, articles.categories, articles.tags, articles.summary,
  articles.body_text, length(articles.body_text) AS characters,
  CASE WHEN trim(coalesce(articles.body_seg, '')) = '' THEN 0
    ELSE length(trim(articles.body_seg)) - length(replace(trim(articles.body_seg), ' ', '')) + 1 END AS words,
  articles.views, articles.likes, articles.first_seen_at,
  coalesce(crawl_state.fetched_at, articles.fetched_at) AS last_seen_at,
  1 + (SELECT count(*) FROM article_versions WHERE article_versions.article_id = articles.id) AS versions
FROM articles LEFT JOIN crawl_state ON crawl_state.url = articles.url
WHERE {articles}
"""
_LINKS = """
SELECT links.src_id, articles.title AS src_title, links.kind, links.position, links.dst_url, links.dst_id,
  coalesce(target.title, links.title) AS dst_title, links.date AS dst_date
FROM links JOIN articles ON articles.id = links.src_id
LEFT JOIN articles AS target ON target.id = links.dst_id
WHERE {articles}
"""
_COMMENTS = """
SELECT comments.article_id, articles.title AS article_title, comments.position, comments.comment_id,
  comments.parent_id, comments.author, comments.time, comments.text
FROM comments JOIN articles ON articles.id = comments.article_id
WHERE {articles}
"""
_VERSIONS = """
SELECT article_versions.article_id, article_versions.version, article_versions.archived_at,
  article_versions.url, article_versions.title, article_versions.author, article_versions.credit,
  article_versions.published_at, article_versions.modified_at, article_versions.categories,
  article_versions.tags, article_versions.summary, article_versions.body_text,
  article_versions.fetched_at, article_versions.changed_at
FROM article_versions JOIN articles ON articles.id = article_versions.article_id
WHERE {articles}
"""


@dataclass(frozen=True, slots=True)
class DatasetView:
    name: str
    select: str  # with ``{articles}``: the condition on the articles it covers
    order_by: str
    article_key: str  # the column holding the article's id
    json_columns: tuple[str, ...] = ()  # TEXT columns holding JSON arrays: arrays in JSON lines and Parquet

    @property
    def is_articles(self) -> bool:
        """One row per article (the view that near-duplicates are flagged in)."""
        return self.article_key == "id"

    def sql(self, articles_condition: str) -> str:
        return self.select.format(articles=articles_condition).strip()


DATASET_VIEWS = (
    DatasetView("dataset_articles", _ARTICLES, "articles.id", "id", ("categories", "tags")),
    DatasetView("dataset_links", _LINKS, "links.src_id, links.kind, links.position", "src_id"),
    DatasetView("dataset_comments", _COMMENTS, "comments.article_id, comments.position", "article_id"),
    DatasetView(
        "dataset_versions",
        _VERSIONS,
        "article_versions.article_id, article_versions.version",
        "article_id",
        ("categories", "tags"),
    ),
)
LIVE = "articles.status = 'live'"


# The labels an article is filtered by (migration 0011): one row per (kind, label, article), kept by
# plain SQL triggers on ``articles`` so that every writer (ours, sqlite-utils, Datasette) keeps them right.
# ``category`` rows hold each text value of ``articles.categories`` as written, ``tag`` rows each text
# value of ``articles.tags`` folded by lower() (ASCII only, as COLLATE NOCASE compares), ``author`` rows
# the author and the credit: the semantics of the json_each() filters they replace, read from one index.
LABEL_VALUE = {"category": ":category", "tag": "lower(:tag)", "author": ":author"}  # the filter's side


def label_ids(kind: str) -> str:
    """The ids of the articles with the filter's label of ``kind``: one range of the labels' key."""
    return f"SELECT article_id FROM article_labels WHERE kind = '{kind}' AND label = {LABEL_VALUE[kind]}"


# Articles that are not live, as a search counts them (a row without a status is searched): status <> 'live'
# as two ranges of the status index, where ``<>`` reads the whole index (5 ms at 100,000 articles).
NOT_LIVE = "(status < 'live' OR status > 'live')"

# Conditions on an article row, each with the named parameter of its name: search and export share them.
ARTICLE_FILTERS = {
    **{kind: f"articles.id IN ({label_ids(kind)})" for kind in LABEL_VALUE},
    "since": "substr(articles.published_at, 1, 10) >= :since",
    "until": "substr(articles.published_at, 1, 10) <= :until",
}
# The same conditions for checking a few known articles (``WHERE id IN (…) AND …``): each a lookup of
# one key of the labels, where ``articles.id IN (…)`` would first read every id of the label.
ARTICLE_FILTERS_BY_ROW = {
    **ARTICLE_FILTERS,
    **{
        kind: f"EXISTS ({label_ids(kind).replace('SELECT article_id', 'SELECT 1')} AND article_id = articles.id)"
        for kind in LABEL_VALUE
    },
}
# The same conditions on an archive older than the labels (opened read-only, never upgraded).
ARTICLE_FILTERS_WITHOUT_LABELS = {
    **ARTICLE_FILTERS,
    # instr() first: a cheap string test that lets json_each() read only the rows that may match.
    "category": "instr(articles.categories, json_quote(:category))"
    " AND EXISTS (SELECT 1 FROM json_each(articles.categories) WHERE value = :category)",
    "tag": "EXISTS (SELECT 1 FROM json_each(articles.tags) WHERE value = :tag COLLATE NOCASE)",
    "author": "(articles.author = :author OR articles.credit = :author)",
}


def has_article_labels(connection: sqlite3.Connection) -> bool:
    """Whether the archive has the labels' table (migration 0011)."""
    found = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'article_labels'")
    return found.fetchone() is not None


def article_filters(connection: sqlite3.Connection | None) -> dict[str, str]:
    """The filters' conditions for this archive (the labels' when it has them)."""
    if connection is None or has_article_labels(connection):
        return ARTICLE_FILTERS
    return ARTICLE_FILTERS_WITHOUT_LABELS


@dataclass(slots=True)
class ArticleFilter:
    """Which articles an export covers; every view follows its articles."""

    status: str = "live"  # live | gone | all
    since: str | None = None  # YYYY-MM-DD, on published_at
    until: str | None = None
    category: str | None = None
    tag: str | None = None
    match: str | None = None  # an FTS5 expression (itp6crawl.query): articles that match it
    params: dict[str, Any] = field(default_factory=dict)

    def condition(self, connection: sqlite3.Connection | None = None) -> str:
        """The WHERE on ``articles`` (in ``connection``'s archive: older ones have no labels' table); its
        parameters go into :attr:`params`."""
        chosen = {name: getattr(self, name) for name in ("since", "until", "category", "tag")}
        filters = article_filters(connection)
        parts = [filters[name] for name, value in chosen.items() if value]
        self.params.update({name: value for name, value in chosen.items() if value})
        if self.status != "all":
            parts.append("articles.status = :status")
            self.params["status"] = self.status
        if self.match:
            parts.append("articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match)")
            self.params["match"] = self.match
        return " AND ".join(parts) or "1"


def create_dataset_views(connection: sqlite3.Connection) -> None:
    """(Re)create the views over live articles (migration 0006)."""
    for view in DATASET_VIEWS:
        connection.execute(f"DROP VIEW IF EXISTS {view.name}")
        connection.execute(f"CREATE VIEW {view.name} AS {view.sql(LIVE)}")


def count_dataset_rows(connection: sqlite3.Connection, view: DatasetView, articles: ArticleFilter) -> int:
    sql = f"SELECT count(*) FROM ({view.sql(articles.condition(connection))})"
    return connection.execute(sql, articles.params).fetchone()[0]


def dataset_rows(
    connection: sqlite3.Connection, view: DatasetView, articles: ArticleFilter
) -> Iterator[dict[str, Any]]:
    """The rows of ``view`` for the chosen articles, streamed in a stable order."""
    cursor = connection.execute(f"{view.sql(articles.condition(connection))} ORDER BY {view.order_by}", articles.params)
    columns = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row, strict=True))


def dataset_columns(connection: sqlite3.Connection, view: DatasetView) -> list[str]:
    cursor = connection.execute(f"SELECT * FROM ({view.sql('0')}) LIMIT 0")
    return [column[0] for column in cursor.description]
