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
from itp6crawl.export import WRITERS, ExportRefused, export, file_name
from itp6crawl.query import parse
from itp6crawl.search import search
from itp6crawl.store.datasets import DATASET_VIEWS, ArticleFilter

VIEW_NAMES = [view.name.removeprefix("dataset_") for view in DATASET_VIEWS]


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


# --------------------------------------------------------------------------- the output folder


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes)."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def siblings(out: Path) -> list[str]:
    return sorted(path.name for path in out.parent.iterdir() if path.name != out.name)


def test_a_folder_holding_files_of_its_own_is_refused_and_left_as_it_was(archive, tmp_path):
    """Before, the export wrote over a README.md of the user's and left everything else beside its files."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("my notes", encoding="utf-8")
    (out / "data.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ExportRefused, match=r"holds files no export wrote \(README.md, data.csv\).*--force"):
        export(archive, out)
    assert listing(out) == {"README.md": b"my notes", "data.csv": b"a,b\n"} and siblings(out) == []


def test_the_cli_refuses_a_folder_holding_other_files_in_one_line_with_exit_2(archive, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("my notes", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", "--db", str(archive), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1 and "--force" in result.output
    assert listing(out) == {"README.md": b"my notes"}


def test_force_replaces_the_folder_whole(archive, tmp_path):
    out = tmp_path / "mine"
    (out / "old").mkdir(parents=True)
    (out / "old" / "x.jsonl").write_text("{}\n", encoding="utf-8")
    (out / "README.md").write_text("my notes", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", "--db", str(archive), "--format", "csv", "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert sorted(listing(out)) == [
        ".itp6crawl-export.json",
        "DATASHEET.md",
        "README.md",
        "articles.csv",
        "comments.csv",
        "links.csv",
        "versions.csv",
    ]
    assert "my notes" not in (out / "README.md").read_text(encoding="utf-8") and siblings(out) == []


def test_a_previous_export_is_replaced_whole_and_leaves_no_file_of_another_format(archive, tmp_path):
    out = tmp_path / "dataset"
    export(archive, out, format="jsonl")
    result = export(archive, out, format="parquet")
    names = sorted(listing(out))
    assert not [name for name in names if name.endswith(".jsonl")], names
    assert [file.path for file in result.files] == [out / f"{view}.parquet" for view in VIEW_NAMES]
    assert result.out == out and siblings(out) == []


@pytest.mark.parametrize("change", ["added", "edited", "removed", "folder"])
def test_a_previous_export_changed_since_is_not_ours_alone_any_more(archive, tmp_path, change):
    out = tmp_path / "dataset"
    export(archive, out)
    if change == "added":
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    elif change == "edited":
        with (out / "README.md").open("a", encoding="utf-8") as card:
            card.write("\nmy addition\n")
    elif change == "removed":
        (out / "links.jsonl").unlink()  # a file gone: not the folder we wrote, so not ours to judge
    else:
        (out / "mine").mkdir()  # even empty: an export makes no folder
    before = listing(out)
    with pytest.raises(ExportRefused):
        export(archive, out, format="csv")
    assert listing(out) == before
    export(archive, out, format="csv", force=True)
    assert "articles.csv" in listing(out) and "articles.jsonl" not in listing(out)


def test_an_empty_folder_is_written_into(archive, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    export(archive, out)
    assert "articles.jsonl" in listing(out) and siblings(out) == []


@pytest.mark.parametrize("previous", [False, True])
def test_an_export_that_fails_midway_leaves_the_previous_folder_untouched_and_no_temporary_folder(
    archive, tmp_path, monkeypatch, previous
):
    out = tmp_path / "dataset"
    if previous:
        export(archive, out, format="csv")
    before = listing(out) if previous else None

    def broken(path, *args):
        path.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(WRITERS, "jsonl", broken)
    with pytest.raises(OSError, match="No space left"):
        export(archive, out, format="jsonl")
    assert (listing(out) if previous else out.exists()) == (before if previous else False)
    assert siblings(out) == []


def test_force_never_deletes_the_archive_it_exports(archive, tmp_path):
    with pytest.raises(ExportRefused, match="holds the archive"):
        export(archive, archive.parent, force=True)
    assert archive.is_file()


# --------------------------------------------------------------------------- a read-only archive

ROOT_WITHOUT_OVERRIDES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_read_only_archive_is_exported_and_nothing_appears_beside_it(archive, tmp_path, locked):
    """By a process that file permissions bind (as root: without its power to override them, so 0444
    means what it says): no -wal, -shm or lock file beside the archive, its bytes unchanged."""
    import os
    import subprocess
    import sys

    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, needs setpriv (util-linux) to drop the power to ignore file permissions")
        prefix = ROOT_WITHOUT_OVERRIDES
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "itp6.db"
    with sqlite3.connect(archive) as source, sqlite3.connect(db) as copy:
        source.backup(copy)  # one file, no -wal or -shm beside it
    db.chmod(0o444)
    if locked == "folder":
        folder.chmod(0o555)
    before = listing(folder)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "itp6crawl", "export", "--db", str(db), "--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert listing(folder) == before
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert ids(tmp_path / "out" / "articles.jsonl") == db_ids(archive)
