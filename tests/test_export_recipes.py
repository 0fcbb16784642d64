"""The README's loading recipes (the ``python`` block of its Export section), run verbatim on the folders
its ``itp6crawl export`` commands write: pandas, Hugging Face datasets and DuckDB open them as the README
says, times timezone-aware (+08:00). Offline: nothing reaches the Hugging Face hub."""

from __future__ import annotations

import os

os.environ["HF_DATASETS_OFFLINE"] = "1"  # read by datasets and huggingface_hub when they are imported
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def export_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Export\n")
    return text[start : text.index("\n## ", start + 1)]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", export_section(), flags=re.S)


def export_commands() -> list[str]:
    """The section's ``itp6crawl export`` command lines (the folders the recipes read)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", export_section(), flags=re.S):
        lines += [line.strip() for line in block.replace("\\\n", " ").splitlines() if "itp6crawl export" in line]
    return lines


@pytest.fixture(scope="module")
def workdir(replica_archive, tmp_path_factory) -> Path:
    """A checkout's layout: ``archive/itp6.db`` (the replica's articles), ``.venv``, and the README's exports."""
    work = tmp_path_factory.mktemp("recipes")
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (work / "archive").mkdir()
    shutil.copy(replica_archive, work / "archive" / "itp6.db")
    for command in export_commands():
        ran = subprocess.run(shlex.split(command), cwd=work, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, (command, ran.stderr[-3000:])
    return work


def test_the_section_has_a_recipe_for_each_reader():
    (block,) = python_blocks()
    for needle in ("pd.read_parquet", "pd.read_json", "pd.read_csv", "load_dataset(", "duckdb.sql", "read_json("):
        assert needle in block, needle
    assert {"datasets/itp6", "datasets/itp6-jsonl", "datasets/stories"} <= {
        shlex.split(command)[-1] for command in export_commands()
    }


def test_the_recipes_run_as_written_and_give_timezone_aware_times(workdir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf"))
    (block,) = python_blocks()
    names: dict[str, Any] = {}
    exec(compile(block, "README.md (Export)", "exec"), names)
    shown = capsys.readouterr().out
    assert "timestamp with time zone" in shown and "+08" in shown  # DuckDB, in China time
    china = "UTC+08:00]"
    assert str(names["articles"]["published_at"].dtype).endswith(china)
    assert str(names["comments"]["time"].dtype).endswith(china)
    assert isinstance(names["stories"]["published_at"].dtype, pd.DatetimeTZDtype) or names["stories"].empty
    itp6 = names["itp6"]["train"]
    assert itp6.num_rows == len(names["articles"]) and itp6.features["published_at"].dtype == "timestamp[s, tz=+08:00]"
    assert names["links"].features["dst_id"].dtype == "int64"
    assert str(names["frame"]["published_at"].dtype).endswith(china)
    assert (names["frame"]["published_at"] == names["articles"]["published_at"]).all()
