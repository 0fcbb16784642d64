"""The README's export and search recipes, run as written against an archive crawled from the replica."""

from __future__ import annotations

import csv
import json
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import local_crawl

from itp6crawl.replica import ReplicaServer, build_site
from itp6crawl.search import search

ROOT = Path(__file__).resolve().parent.parent
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"
CATEGORY = "治疗过程分享"


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(title)
    following = re.search(r"\n#{2,3} ", text[start + len(title) :])
    return text[start : start + len(title) + following.start()] if following else text[start:]


def commands(text: str) -> list[str]:
    """The command lines of the ``sh`` blocks (continuations joined, comments dropped)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line.strip())
    return lines


EXPORT = commands(section("## Export"))
SEARCHING = commands(section("### Searching from sqlite-utils"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder laid out like a checkout after a crawl: ``archive/itp6.db`` (crawled from a 100-article
    replica with reposts) and ``.venv`` (this interpreter's)."""
    work = tmp_path_factory.mktemp("readme")
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
    site = build_site(n_articles=100, seed=6)
    assert sum(1 for spec in site.articles if spec.repost_of) >= 2
    db = work / "archive" / "itp6.db"
    with ReplicaServer(site) as server:
        result = local_crawl(server.base_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    for command in EXPORT:  # in order: the join reads files written before it
        ran = subprocess.run(["bash", "-c", command], cwd=work, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, (command, ran.stderr[-3000:])
    return work


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, params).fetchall()


def jsonl(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text, f"{path} escapes its Chinese"
    return [json.loads(line) for line in text.splitlines()]


def test_the_export_section_has_the_recipes_the_issue_asks_for():
    joined = "\n".join(EXPORT)
    for needle in ("--format parquet", "--format jsonl", "--format csv", "--nl", "--csv", "zh_fts", "memory"):
        assert needle in joined, needle


def test_parquet_export_reads_back_with_pyarrow(workdir):
    folder = workdir / "datasets" / "itp6"
    db = workdir / "archive" / "itp6.db"
    table = pq.read_table(folder / "articles.parquet")
    live = rows(db, "SELECT id, title, categories FROM articles WHERE status = 'live' ORDER BY id")
    assert table.num_rows == len(live)
    categories = table.schema.field("categories").type
    assert pa.types.is_list(categories) and pa.types.is_string(categories.value_type)
    exported = table.to_pylist()
    assert [(row["id"], row["title"], row["categories"]) for row in exported] == [
        (article_id, title, json.loads(categories)) for article_id, title, categories in live
    ]
    assert not {"title_seg", "body_seg", "search_extra", "content_hash", "warc_file"} & set(table.column_names)
    for name, view in (("links", "dataset_links"), ("comments", "dataset_comments"), ("versions", "dataset_versions")):
        assert pq.read_table(folder / f"{name}.parquet").num_rows == rows(db, f"SELECT count(*) FROM {view}")[0][0]
    reposts = {row["id"]: row["dup_of"] for row in exported if row["dup_of"] is not None}
    assert len(reposts) >= 2 and all(original < article_id for article_id, original in reposts.items())


def test_the_reposts_are_the_near_duplicates(workdir):
    site = build_site(n_articles=100, seed=6)
    expected = {spec.id: spec.repost_of for spec in site.articles if spec.repost_of}
    flagged = {
        row["id"]: row["dup_of"] for row in pq.read_table(workdir / "datasets/itp6/articles.parquet").to_pylist()
    }
    assert {article_id: flagged[article_id] for article_id in expected} == expected
    assert sum(1 for original in flagged.values() if original is not None) == len(expected)  # no false alarm


def test_dedup_jsonl_export_leaves_the_reposts_out(workdir):
    folder = workdir / "datasets" / "itp6-jsonl"
    articles = jsonl(folder / "articles.jsonl")
    live = rows(workdir / "archive" / "itp6.db", "SELECT count(*) FROM articles WHERE status = 'live'")[0][0]
    flagged = sum(1 for row in pq.read_table(workdir / "datasets/itp6/articles.parquet").to_pylist() if row["dup_of"])
    assert len(articles) == live - flagged and all(row["dup_of"] is None for row in articles)
    assert all(isinstance(row["tags"], list) and isinstance(row["categories"], list) for row in articles)
    kept = {row["id"] for row in articles}
    assert all(row["article_id"] in kept for row in jsonl(folder / "comments.jsonl"))
    datasheet = (folder / "DATASHEET.md").read_text(encoding="utf-8")
    for heading in ("Motivation", "Composition", "Collection process", "Preprocessing", "Uses", "Distribution"):
        assert f"## {heading}" in datasheet
    assert f"{len(articles):,} articles" in datasheet and f"{flagged:,} articles are near-duplicates" in datasheet
    assert "not medical advice" in datasheet and "版权归作者所有" in datasheet


def test_the_dataset_card_names_its_files(workdir):
    import yaml

    card = (workdir / "datasets" / "itp6" / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["language"] == ["zh", "en"] and header["license"] == "other"
    files = {config["config_name"]: config["data_files"] for config in header["configs"]}
    # Hugging Face datasets cannot load a config without rows: the card names the files that have some.
    counts = {
        name: rows(workdir / "archive" / "itp6.db", f"SELECT count(*) FROM dataset_{name}")[0][0]
        for name in ("articles", "links", "comments", "versions")
    }
    assert files == {name: f"{name}.parquet" for name, count in counts.items() if count}
    assert {"articles", "links", "comments"} <= set(files)
    assert header["size_categories"] == ["n<1K"]


def test_filtered_csv_export_opens_in_a_spreadsheet(workdir):
    raw = (workdir / "datasets" / "stories" / "articles.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # --bom
    exported = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert exported and all(CATEGORY in json.loads(row["categories"]) for row in exported)
    assert all(row["published_at"] >= "2020-01-01" for row in exported)
    in_db = rows(
        workdir / "archive" / "itp6.db",
        "SELECT count(*) FROM dataset_articles WHERE published_at >= '2020-01-01'"
        " AND EXISTS (SELECT 1 FROM json_each(categories) WHERE value = ?)",
        CATEGORY,
    )[0][0]
    assert len(exported) == in_db


def test_sqlite_utils_recipes_give_readable_chinese_rows(workdir):
    db = workdir / "archive" / "itp6.db"
    articles = jsonl(workdir / "articles.jsonl")
    assert len(articles) == rows(db, "SELECT count(*) FROM dataset_articles")[0][0]
    assert {"id", "title", "body_text", "words", "versions"} <= set(articles[0])
    links = list(csv.DictReader((workdir / "links.csv").read_text(encoding="utf-8").splitlines()))
    assert len(links) == rows(db, "SELECT count(*) FROM dataset_links")[0][0] and "dst_title" in links[0]
    stories = jsonl(workdir / "stories.jsonl")
    assert stories and all(
        CATEGORY in json.loads(rows(db, "SELECT categories FROM articles WHERE id = ?", row["id"])[0][0])
        for row in stories
    )
    assert [row["published_at"] for row in stories] == sorted((row["published_at"] for row in stories), reverse=True)


def test_the_full_text_recipe_finds_what_the_cli_finds(workdir):
    db = workdir / "archive" / "itp6.db"
    found = list(csv.DictReader((workdir / "eltrombopag.csv").read_text(encoding="utf-8").splitlines()))
    assert found
    assert {int(row["id"]) for row in found} == {hit.id for hit in search(db, "艾曲泊帕 -儿童", limit=1000)}


def test_the_in_memory_join_counts_comments(workdir):
    joined = jsonl(workdir / "most_commented.jsonl")
    db = workdir / "archive" / "itp6.db"
    expected = dict(rows(db, "SELECT article_id, count(*) FROM dataset_comments GROUP BY article_id"))
    assert joined and all(expected[row["id"]] == row["n"] for row in joined)
    assert [row["n"] for row in joined] == sorted((row["n"] for row in joined), reverse=True)


@pytest.mark.parametrize("command", SEARCHING, ids=lambda command: " ".join(shlex.split(command)[1:3]))
def test_search_recipe_runs(command, workdir):
    result = subprocess.run(["bash", "-c", command], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = [line for line in result.stdout.splitlines() if line.strip() not in ("", "[]", "[", "]")]
    assert len(found) >= 2, (command, result.stdout)
