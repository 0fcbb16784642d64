"""itp6crawl export: filters, formats, empty exports, clear errors (the README recipes are in test_readme)."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from itp6crawl.cli import main
from itp6crawl.export import export, file_name, near_duplicates
from itp6crawl.query import parse
from itp6crawl.search import search
from itp6crawl.store import Archive, Segments
from itp6crawl.store.datasets import DATASET_VIEWS, ArticleFilter


@pytest.fixture(scope="module")
def archive(replica_archive, tmp_path_factory) -> Path:
    """The replica archive with one article gone."""
    path = tmp_path_factory.mktemp("export") / "itp6.db"
    shutil.copy(replica_archive, path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE articles SET status = 'gone' WHERE id = (SELECT min(id) FROM articles)")
    return path


def ids(path: Path) -> list[int]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def db_ids(db: Path, where: str = "status = 'live'") -> list[int]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute(f"SELECT id FROM articles WHERE {where} ORDER BY id")]


@pytest.mark.parametrize("status", ["live", "gone", "all"])
def test_status_chooses_the_articles_and_everything_follows_them(archive, tmp_path, status):
    result = export(archive, tmp_path, articles=ArticleFilter(status=status))
    where = {"live": "status = 'live'", "gone": "status = 'gone'", "all": "1"}[status]
    assert ids(tmp_path / "articles.jsonl") == db_ids(archive, where)
    chosen = set(db_ids(archive, where))
    comments = [json.loads(line) for line in (tmp_path / "comments.jsonl").read_text().splitlines()]
    links = [json.loads(line) for line in (tmp_path / "links.jsonl").read_text().splitlines()]
    assert all(row["article_id"] in chosen for row in comments) and all(row["src_id"] in chosen for row in links)
    assert result.rows("dataset_articles") == len(chosen)


def test_a_query_exports_what_the_search_finds(archive, tmp_path):
    export(archive, tmp_path, articles=ArticleFilter(match=parse("艾曲泊帕 -儿童").match))
    found = sorted(hit.id for hit in search(archive, "艾曲泊帕 -儿童", limit=1000))
    assert found and ids(tmp_path / "articles.jsonl") == found


def test_an_export_with_no_articles_still_writes_every_file_with_its_columns(archive, tmp_path):
    for format in ("jsonl", "csv", "parquet"):
        out = tmp_path / format
        result = export(archive, out, format=format, articles=ArticleFilter(since="2099-01-01"))
        assert [file.rows for file in result.files] == [0, 0, 0, 0]
        for view in DATASET_VIEWS:
            assert (out / file_name(view, format)).exists()
    header = (tmp_path / "csv" / "articles.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("id,url,title") and header.endswith(",dup_of")
    assert "title" in pq.read_table(tmp_path / "parquet" / "articles.parquet").column_names
    assert "0 articles" in (tmp_path / "jsonl" / "DATASHEET.md").read_text(encoding="utf-8")


def test_csv_without_bom_and_with_arrays_as_json_text(archive, tmp_path):
    export(archive, tmp_path, format="csv")
    raw = (tmp_path / "articles.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    assert all(isinstance(json.loads(row["tags"]), list) for row in rows)
    assert any("血小板" in row["body_text"] for row in rows)


def test_near_duplicates_point_at_the_earliest_copy(tmp_path, article_factory, fetch_time):
    text = " ".join(f"词{i}" for i in range(300))
    later = text.replace("词250", "新词")
    path = tmp_path / "itp6.db"
    with Archive.open(path) as archive:
        for article_id, body, day in ((1, text, 1), (2, "完全 不同 的 文章 " * 40, 2), (3, later, 3), (4, text, 4)):
            article = article_factory(article_id, title=f"t{article_id}", body_text=body)
            article.published_at = f"2024-01-0{day}T10:00:00+08:00"
            archive.articles.save(article, Segments(article.title, body, ""), fetch_time)
    with sqlite3.connect(path) as connection:
        assert near_duplicates(connection, ArticleFilter()) == {3: 1, 4: 1}


def test_the_cli_exports_and_reports(archive, tmp_path):
    result = CliRunner().invoke(main, ["export", "--db", str(archive), "--format", "parquet", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "articles.parquet" in result.output and "DATASHEET.md" in result.output


def test_the_cli_refuses_a_query_with_nothing_to_search(archive, tmp_path):
    result = CliRunner().invoke(main, ["export", "--db", str(archive), "--query", "-儿童", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nothing to search for" in result.output


def test_the_cli_names_the_missing_archive(tmp_path):
    result = CliRunner().invoke(main, ["export", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no archive at" in result.output
