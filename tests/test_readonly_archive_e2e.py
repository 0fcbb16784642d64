"""A read-only archive (its file, or its folder): reading commands work on it as it is and leave nothing
behind; writing commands say so in one line and leave nothing behind either (issue [7]).

The commands run without the power to override file permissions: as an ordinary user, or, as root (CI),
with ``setpriv`` dropping root's DAC capabilities, so a mode of 0444 means what it says."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import local_crawl

from itp6crawl.replica import ReplicaServer, build_site

ROOT_WITHOUT_OVERRIDES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """``itp6crawl ARGS`` by a process that file permissions bind."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, needs setpriv (util-linux) to drop the power to ignore file permissions")
        prefix = ROOT_WITHOUT_OVERRIDES
    command = [*prefix, sys.executable, "-m", "itp6crawl", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def server():
    with ReplicaServer(build_site(n_articles=20, seed=51)) as replica:
        yield replica


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, server) -> Path:
    db = tmp_path_factory.mktemp("crawled") / "archive" / "itp6.db"
    result = local_crawl(server.base_url, db)
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def listing(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.fixture(params=["file", "folder"])
def readonly(request, tmp_path, crawled) -> Path:
    """A copy of the crawled archive made read-only: the file (0444) or its folder (0555)."""
    folder = tmp_path / "archive"
    shutil.copytree(crawled.parent, folder)
    for leftover in folder.glob("itp6.db.lock"):
        leftover.unlink()
    db = folder / "itp6.db"
    db.chmod(0o444)
    if request.param == "folder":
        folder.chmod(0o555)
    yield db
    folder.chmod(0o755)
    db.chmod(0o644)


@pytest.mark.parametrize(
    "command",
    [["search", "血小板"], ["search", "ITP", "--json"], ["stats"], ["runs"], ["stats", "--json"]],
    ids=lambda command: " ".join(command),
)
def test_reading_commands_work_on_a_read_only_archive_and_leave_nothing_behind(readonly, command):
    before = listing(readonly.parent)
    result = unprivileged(*command, "--db", str(readonly))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "Traceback" not in result.stderr and result.stdout.strip()
    assert listing(readonly.parent) == before  # no -wal, -shm, lock; the file unchanged


def test_a_read_only_archive_is_searched_with_results(readonly):
    result = unprivileged("search", "血小板", "--db", str(readonly), "--json")
    assert result.returncode == 0 and '"title"' in result.stdout


@pytest.mark.parametrize("command", [["crawl", "--local"], ["reindex", "--jobs", "1"]], ids=lambda c: c[0])
def test_writing_commands_refuse_a_read_only_archive_in_one_line_and_leave_nothing_behind(readonly, server, command):
    before = listing(readonly.parent)
    site = ["--site", server.base_url] if command[0] == "crawl" else []
    result = unprivileged(*command, *site, "--db", str(readonly))
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert listing(readonly.parent) == before
    assert stat.S_IMODE(readonly.stat().st_mode) == 0o444


def test_a_new_archive_in_a_read_only_folder_is_refused_in_one_line(tmp_path, server):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = unprivileged("crawl", "--local", "--site", server.base_url, "--db", str(folder / "sub" / "itp6.db"))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"the folder {folder} is read-only" in result.stderr
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("command", [["search", "血小板"], ["stats"], ["runs"]], ids=lambda command: command[0])
def test_reading_a_read_only_archive_leaves_nothing_behind_even_for_root(readonly, command):
    """Root may write anything, but an archive its owner made read-only is read as it is (no -wal, -shm)."""
    before = listing(readonly.parent)
    result = subprocess.run(
        [sys.executable, "-m", "itp6crawl", *command, "--db", str(readonly)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert listing(readonly.parent) == before
