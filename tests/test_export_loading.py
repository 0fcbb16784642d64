"""An export opens the way its users expect, in every format: Hugging Face ``datasets`` loads every
config of the card with the views' row counts and the card's ``features``; pandas, pyarrow and DuckDB
read the same types; times keep their +08:00 (or are typed timezone-aware) everywhere.

Nothing reaches the Hugging Face hub: the tests run with ``HF_DATASETS_OFFLINE`` and ``HF_HUB_OFFLINE``
and a cache of their own."""

from __future__ import annotations

import os

os.environ["HF_DATASETS_OFFLINE"] = "1"  # read by datasets and huggingface_hub when they are imported
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import json
import re
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import datasets
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import make_article

from itp6crawl.export import FORMATS, export, file_name
from itp6crawl.store import Archive, Segments
from itp6crawl.store.datasets import DATASET_VIEWS
from itp6crawl.times import CST

CHINA = timedelta(hours=8)
TIMESTAMP = datasets.Value("timestamp[s, tz=+08:00]")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@pytest.fixture(scope="module")
def fresh(replica_archive, tmp_path_factory) -> Path:
    """The replica's articles as a first crawl leaves them: no earlier versions (``versions`` is empty)."""
    path = tmp_path_factory.mktemp("fresh") / "itp6.db"
    shutil.copy(replica_archive, path)
    return path


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> Path:
    """Articles of every kind of row: one changed (an earlier version), one without views or likes, links
    to an archived article and to one never archived, comments."""
    path = tmp_path_factory.mktemp("changed") / "itp6.db"
    first = datetime(2024, 6, 5, 12, 0, tzinfo=CST)
    with Archive.open(path) as archive:
        for post_id, changes in (
            (101, {}),
            (102, {"title": "第二篇", "related": [], "prev": None, "views": None, "likes": None}),
            (103, {"title": "第三篇", "published_at": "2016-02-27T00:59:00+08:00"}),
        ):
            article = make_article(post_id, **changes)
            archive.articles.save(article, Segments(article.title, article.body_text, ""), first)
        longer = make_article(103, title="第三篇", published_at="2016-02-27T00:59:00+08:00")
        longer.body_text += "\n\n后来又复查了一次，血小板稳定在 100 左右。"
        archive.articles.save(longer, Segments(longer.title, longer.body_text, ""), first + timedelta(days=3))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM dataset_versions").fetchone()[0] == 1
    return path


ARCHIVES = ["fresh", "changed"]


@pytest.fixture(scope="module")
def exports(request, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Each archive exported in each format (``(archive, format) -> folder``)."""
    folders = {}
    for name in ARCHIVES:
        db = request.getfixturevalue(name)
        for format in FORMATS:
            folders[name, format] = tmp_path_factory.mktemp(f"{name}-{format}") / "itp6"
            export(db, folders[name, format], format=format)
    return folders


def card(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---\n")[1])


def load(folder: Path, config: str, cache: Path) -> datasets.Dataset:
    loaded = datasets.load_dataset(str(folder), config, cache_dir=str(cache))
    assert list(loaded) == ["train"]
    return loaded["train"]


def view_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {
            view.name.removeprefix("dataset_"): connection.execute(f"SELECT count(*) FROM {view.name}").fetchone()[0]
            for view in DATASET_VIEWS
        }


def published(db: Path, article_id: int) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT published_at FROM articles WHERE id = ?", (article_id,)).fetchone()[0]


# --------------------------------------------------------------------------- Hugging Face datasets


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_datasets_loads_every_config_of_the_card_with_the_views_row_counts(request, exports, tmp_path, archive, format):
    """Before, the empty ``versions`` config raised StopIteration (jsonl), '"train" corresponds to no
    data' (csv) or 'BatchSize must be greater than 0' (parquet). ``datasets`` cannot load an empty split,
    so the card names the files with rows only, and its table still lists every file."""
    folder = exports[archive, format]
    counts = view_counts(request.getfixturevalue(archive))
    header = card(folder)
    configs = {config["config_name"]: config["data_files"] for config in header["configs"]}
    for name in configs:
        assert load(folder, name, tmp_path).num_rows == counts[name], name
    assert configs == {name: f"{name}.{format}" for name, rows in counts.items() if rows}
    assert header["configs"][0]["config_name"] == "articles" and header["configs"][0]["default"] is True
    assert ("versions" in configs) == (archive == "changed")
    text = (folder / "README.md").read_text(encoding="utf-8")
    for name, rows in counts.items():
        assert f"`{name}.{format}` | {rows:,} |" in text
    default = datasets.load_dataset(str(folder), cache_dir=str(tmp_path))  # no config: the card's default
    assert default["train"].num_rows == counts["articles"]


@pytest.mark.parametrize("archive", ARCHIVES)
def test_every_format_loads_with_the_features_the_card_declares(exports, tmp_path, archive):
    """Before, the card had no features: ids were int64 from JSON lines and float64 from CSV, times
    timestamp[s] (naive), large_string or string."""
    loaded: dict[str, dict[str, datasets.Features]] = {}
    for format in FORMATS:
        folder = exports[archive, format]
        declared = {info["config_name"]: info for info in card(folder)["dataset_info"]}
        loaded[format] = {}
        for name in declared:
            features = load(folder, name, tmp_path / format).features
            assert features == datasets.Features._from_yaml_list(declared[name]["features"]), (format, name)
            loaded[format][name] = features
    assert loaded["jsonl"] == loaded["parquet"]
    for name, features in loaded["jsonl"].items():
        # CSV has no arrays: categories and tags are JSON text there, every other column is typed alike
        expected = {
            column: datasets.Value("string") if isinstance(feature, datasets.List) else feature
            for column, feature in features.items()
        }
        assert dict(loaded["csv"][name]) == expected, name
    articles = loaded["parquet"]["articles"]
    assert articles["published_at"] == TIMESTAMP and articles["first_seen_at"] == TIMESTAMP
    assert articles["id"] == datasets.Value("int64") and articles["views"] == datasets.Value("int64")
    assert articles["dup_of"] == datasets.Value("int64") and articles["tags"] == datasets.List(datasets.Value("string"))
    assert loaded["parquet"]["comments"]["time"] == TIMESTAMP
    assert loaded["parquet"]["links"]["dst_date"] == datasets.Value("date32")


@pytest.mark.parametrize("format", FORMATS)
def test_datasets_gives_the_archives_times_with_their_offset(changed, exports, tmp_path, format):
    """Before, 2016-02-27T00:59:00+08:00 came back from JSON lines as the naive 2016-02-26 16:59."""
    folder = exports["changed", format]
    rows = {row["id"]: row for row in load(folder, "articles", tmp_path)}
    moment = rows[103]["published_at"]
    assert moment.utcoffset() == CHINA and moment.isoformat() == published(changed, 103) == "2016-02-27T00:59:00+08:00"
    version = load(folder, "versions", tmp_path)[0]
    assert version["archived_at"].utcoffset() == CHINA and version["fetched_at"].utcoffset() == CHINA
    assert load(folder, "comments", tmp_path)[0]["time"].isoformat() == "2024-06-03T09:00:00+08:00"
    missing = rows[102]
    assert missing["views"] is None and missing["likes"] is None  # NULL, not NaN or 0


# --------------------------------------------------------------------------- pyarrow and pandas


def test_parquet_types_times_as_timezone_aware_timestamps_never_as_text(exports):
    """Before, Parquet stored every time as a string."""
    for archive in ARCHIVES:
        for view in DATASET_VIEWS:
            schema = pq.read_schema(exports[archive, "parquet"] / file_name(view, "parquet"))
            for field in schema:
                if field.name.endswith("_at") or field.name == "time":
                    assert pa.types.is_timestamp(field.type) and field.type.tz == "+08:00", (view.name, field)
                elif field.name == "dst_date":
                    assert field.type == pa.date32()


def test_the_empty_parquet_file_has_its_types_and_opens_everywhere(exports):
    path = exports["fresh", "parquet"] / "versions.parquet"
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.schema.field("archived_at").type.tz == "+08:00"
    frame = pd.read_parquet(path)
    assert len(frame) == 0 and str(frame["archived_at"].dtype).endswith(", UTC+08:00]")
    assert duck(f"SELECT count(*) FROM read_parquet('{path}')") == [(0,)]


@pytest.mark.parametrize("format", FORMATS)
def test_pandas_reads_times_as_timezone_aware_in_every_format(changed, exports, format):
    path = exports["changed", format] / f"articles.{format}"
    if format == "parquet":
        frame = pd.read_parquet(path)
    elif format == "jsonl":
        frame = pd.read_json(path, lines=True)
    else:
        frame = pd.read_csv(path, parse_dates=["published_at", "modified_at", "first_seen_at", "last_seen_at"])
    assert isinstance(frame["published_at"].dtype, pd.DatetimeTZDtype), frame["published_at"].dtype
    moment = frame.set_index("id").loc[103, "published_at"]
    assert moment.utcoffset() == CHINA and moment.isoformat() == published(changed, 103)


def test_pandas_from_parquet_and_from_datasets_agree(exports, tmp_path):
    folder = exports["changed", "parquet"]
    direct = pd.read_parquet(folder / "articles.parquet")
    through = load(folder, "articles", tmp_path).to_pandas()
    assert list(direct.columns) == list(through.columns)
    assert (direct["published_at"] == through["published_at"]).all()
    assert str(through["published_at"].dtype).endswith(", UTC+08:00]")


# --------------------------------------------------------------------------- DuckDB


def duck(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect() as connection:
        return connection.execute(sql).fetchall()


def duck_types(path: Path) -> dict[str, str]:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_json"
    return {name: kind for name, kind, *_ in duck(f"DESCRIBE SELECT * FROM {reader}('{path}')")}


@pytest.mark.parametrize("archive", ARCHIVES)
def test_duckdb_reads_parquet_and_json_lines_with_the_same_types(request, exports, archive):
    counts = view_counts(request.getfixturevalue(archive))
    for view in DATASET_VIEWS:
        name = view.name.removeprefix("dataset_")
        parquet = duck_types(exports[archive, "parquet"] / f"{name}.parquet")
        assert all(parquet[column] == "TIMESTAMP WITH TIME ZONE" for column in parquet if column.endswith("_at"))
        if not counts[name]:
            continue  # DuckDB infers JSON's types from its rows: an empty file has none
        lines = duck_types(exports[archive, "jsonl"] / f"{name}.jsonl")
        # A column NULL in every row has no type in JSON lines (DuckDB says "NULL" or JSON); Parquet keeps its own.
        typed = {column: kind for column, kind in lines.items() if kind not in ('"NULL"', "JSON")}
        assert typed == {column: parquet[column] for column in typed}, name
        assert len(typed) >= len(lines) - 1, name


def test_duckdb_gives_the_same_moment_from_every_format(changed, exports):
    expected = datetime.fromisoformat(published(changed, 103))
    for format, reader in (("parquet", "read_parquet"), ("jsonl", "read_json"), ("csv", "read_csv")):
        path = exports["changed", format] / f"articles.{format}"
        [(moment,)] = duck(f"SELECT published_at FROM {reader}('{path}') WHERE id = 103")
        assert moment.tzinfo is not None and moment == expected, format


# --------------------------------------------------------------------------- every column typed


def test_every_time_column_is_declared_a_time_and_no_other_column_holds_times(exports):
    """A column added to a view later must get its type here, or be typed text by mistake."""
    for archive in ARCHIVES:
        folder = exports[archive, "jsonl"]
        declared = {info["config_name"]: info["features"] for info in card(folder)["dataset_info"]}
        for name, features in declared.items():
            rows = [json.loads(line) for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
            for feature in features:
                values = [row[feature["name"]] for row in rows if row[feature["name"]] is not None]
                looks_like_time = bool(values) and all(isinstance(v, str) and ISO_TIME.match(v) for v in values)
                assert looks_like_time == (feature.get("dtype") == "timestamp[s, tz=+08:00]"), (name, feature)
                if feature.get("dtype") == "int64":
                    assert all(isinstance(value, int) for value in values), (name, feature)


def test_parquet_reads_times_arrow_cannot_parse_as_the_archive_means_them():
    """An offset-less time is China time (as the archive's ``iso()`` takes it), a fraction of a second is
    dropped; Arrow's own cast refuses both, so the batch goes through Python."""
    from itp6crawl.export import _parquet_batch, parquet_schema

    types = {"id": "int64", "published_at": "timestamp", "dst_date": "date"}
    rows = [
        {"id": 1, "published_at": "2016-02-27 00:59:00", "dst_date": "2016-02-27"},
        {"id": 2, "published_at": "2016-02-27T00:59:00.5+08:00", "dst_date": None},
        {"id": 3, "published_at": None, "dst_date": "2016-02-27"},
    ]
    table = _parquet_batch(rows, types, parquet_schema(types))
    moments = table.column("published_at").to_pylist()
    assert [moment.isoformat() if moment else None for moment in moments] == [
        "2016-02-27T00:59:00+08:00",
        "2016-02-27T00:59:00+08:00",
        None,
    ]
    assert table.schema.field("dst_date").type == pa.date32()
