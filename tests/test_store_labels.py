"""The labels' index (article_labels): the filters read it with json_each()'s semantics, and plain SQL
triggers keep it right whoever writes the articles."""

import json
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from itp6crawl.store import Archive
from itp6crawl.store.datasets import ARTICLE_FILTERS, ARTICLE_FILTERS_BY_ROW
from itp6crawl.store.labels import FILL, SCHEMA

# What the filters meant before the labels: json_each() over the JSON arrays, tags without ASCII case.
JSON_EACH = {
    "category": "json_valid(categories) AND EXISTS (SELECT 1 FROM json_each(categories) WHERE value = :category)",
    "tag": "json_valid(tags) AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = :tag COLLATE NOCASE)",
    "author": "(author = :author OR credit = :author)",
}
NAMES = ["ITP", "itp", "Itp百科", "ITP百科", "指南", "指南解读", 'a"b', "ß", "Σ", "σ", "", " 指南"]
LABEL_LISTS = st.one_of(
    st.lists(st.sampled_from(NAMES), max_size=4).map(lambda names: json.dumps(names, ensure_ascii=False)),
    st.lists(st.sampled_from(NAMES), max_size=3).map(lambda names: json.dumps(names)),  # \u escapes
    st.sampled_from([None, "", "[", "not json", "[1, 2]", '["ITP", 3, null]', '{"a": "ITP"}', '"ITP"']),
)
ROWS = st.lists(
    st.tuples(LABEL_LISTS, LABEL_LISTS, st.sampled_from([None, *NAMES[:6]]), st.sampled_from([None, *NAMES[:6]])),
    max_size=8,
)


def _labelled_database() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, categories, tags, author TEXT, credit TEXT)")
    for statement in SCHEMA:
        connection.execute(statement)
    return connection


def _ids(connection: sqlite3.Connection, condition: str, value: str, name: str) -> set[int]:
    rows = connection.execute(f"SELECT id FROM articles WHERE {condition}", {name: value})
    return {row[0] for row in rows}


def _labels(connection: sqlite3.Connection) -> list[tuple]:
    return sorted(connection.execute("SELECT kind, label, article_id FROM article_labels"))


@settings(max_examples=150, deadline=None)
@given(rows=ROWS, edits=ROWS)
def test_filters_by_labels_equal_json_each_after_inserts_updates_and_deletes(rows, edits):
    connection = _labelled_database()
    connection.executemany(
        "INSERT INTO articles (categories, tags, author, credit) VALUES (?, ?, ?, ?)", [*rows, (None,) * 4]
    )
    for article_id, edit in enumerate(edits, 1):  # updates of rows that exist, then a delete
        connection.execute(
            "UPDATE articles SET categories = ?, tags = ?, author = ?, credit = ? WHERE id = ?", [*edit, article_id]
        )
    connection.execute("DELETE FROM articles WHERE id = ?", [len(rows)])
    for name in JSON_EACH:
        for value in NAMES:
            expected = _ids(connection, JSON_EACH[name], value, name)
            assert _ids(connection, ARTICLE_FILTERS[name], value, name) == expected, (name, value)
            assert _ids(connection, ARTICLE_FILTERS_BY_ROW[name], value, name) == expected, (name, value)
    kept = _labels(connection)
    for statement in FILL:  # the migration's fill writes what the triggers wrote
        connection.execute(statement)
    assert _labels(connection) == kept


def test_triggers_keep_labels_for_any_writer_of_the_archive(tmp_path):
    path = tmp_path / "itp6.db"
    Archive.open(path).close()
    connection = sqlite3.connect(path)  # plain sqlite3, none of our code
    insert = "INSERT INTO articles (id, url, categories, tags, author, credit) VALUES (?, ?, ?, ?, ?, ?)"
    connection.execute(insert, [1, "u1", '["指南解读"]', '["ITP", "激素"]', "小林", "ITP6病友网"])
    connection.execute(insert, [2, "u2", '["科研动态"]', "[]", "小林", None])
    assert _labels(connection) == [
        ("author", "ITP6病友网", 1),
        ("author", "小林", 1),
        ("author", "小林", 2),
        ("category", "指南解读", 1),
        ("category", "科研动态", 2),
        ("tag", "itp", 1),
        ("tag", "激素", 1),
    ]
    connection.execute("UPDATE articles SET views = 5 WHERE id = 1")  # nothing labelled changes
    connection.execute("UPDATE articles SET categories = '[\"用药经验\"]', author = NULL WHERE id = 2")
    assert [row for row in _labels(connection) if row[2] == 2] == [("category", "用药经验", 2)]
    connection.execute("INSERT OR REPLACE INTO articles (id, url, tags) VALUES (1, 'u1', '[\"TPO-RA\"]')")
    assert [row for row in _labels(connection) if row[2] == 1] == [("tag", "tpo-ra", 1)]  # no delete trigger fires
    connection.execute("UPDATE articles SET id = 3 WHERE id = 1")
    assert [row[2] for row in _labels(connection)] == [2, 3]
    connection.execute("DELETE FROM articles WHERE id = 3")
    assert _labels(connection) == [("category", "用药经验", 2)]
    connection.commit()
    connection.close()


def test_the_migration_labels_the_articles_of_an_older_archive(tmp_path, article_factory, fetch_time):
    from itp6crawl.store import Segments

    path = tmp_path / "itp6.db"
    with Archive.open(path) as archive:
        archive.articles.save(article_factory(1), Segments("a", "b", "c"), fetch_time)
        expected = _labels(archive.db.conn)
        archive.db.execute("DROP TABLE article_labels")
        archive.db.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_article_labels'")
    assert expected and {row[0] for row in expected} == {"author", "category", "tag"}
    with Archive.open(path) as archive:
        assert _labels(archive.db.conn) == expected
