"""The README's sqlite-utils export recipes run against a real archive."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from itp6crawl.extract import extract_article
from itp6crawl.items import PageItem
from itp6crawl.pipelines import SegmentPipeline
from itp6crawl.replica import DEFAULT_NOW, build_site
from itp6crawl.store import Archive

ROOT = Path(__file__).resolve().parent.parent
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"


def readme_recipes() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.split(" #")[0].strip()
            if command.startswith(".venv/bin/sqlite-utils"):
                commands.append(shlex.split(command))
    return commands


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    site = build_site(n_articles=24, seed=9)
    path = tmp_path_factory.mktemp("readme") / "itp6.db"
    segment = SegmentPipeline()
    with Archive.open(path) as archive:
        for spec in site.articles:
            item = PageItem(url=spec.url("https://www.itp6.com"), request_url="", status=200, fetched_at=DEFAULT_NOW)
            item.article = extract_article(site.render(spec.path, "https://www.itp6.com")[2], item.url)
            segment.process_item(item)
            archive.articles.save(item.article, item.segments, DEFAULT_NOW)
    return path


def test_the_readme_has_export_recipes():
    assert len(readme_recipes()) >= 4


@pytest.mark.parametrize("argv", readme_recipes(), ids=lambda argv: " ".join(argv[1:3]))
def test_export_recipe_runs(argv, archive_path):
    if ">" in argv:  # the recipe writes a file; read its output here instead
        argv = argv[: argv.index(">")]
    argv = [str(SQLITE_UTILS)] + [str(archive_path) if a == "archive/itp6.db" else a for a in argv[1:]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip() not in ("", "[]", "[", "]")]
    assert len(rows) >= 2, (argv, result.stdout)  # a CSV header and a row, or at least two JSON rows
