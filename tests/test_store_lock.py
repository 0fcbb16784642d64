"""One run at a time per archive: the fcntl lock, its message, and the takeover after a killed run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from itp6crawl.store import ArchiveBusy, ArchiveLock

HOLD = """
import sys, time
from itp6crawl.store import ArchiveLock
ArchiveLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path):
    db = tmp_path / "itp6.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveBusy, match=f"pid {holder.pid}"):
            ArchiveLock(db).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    db = tmp_path / "itp6.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with ArchiveLock(db) as lock:
        assert f'"pid": {os.getpid()}' in lock.path.read_text()


def test_release_lets_the_next_run_in(tmp_path):
    db = tmp_path / "itp6.db"
    ArchiveLock(db).acquire().release()
    ArchiveLock(db).acquire().release()


def test_the_lock_is_a_file_beside_the_archive_naming_its_holder_and_emptied_on_release(tmp_path):
    db = tmp_path / "new" / "folder" / "itp6.db"  # folders made as needed
    with ArchiveLock(db) as lock:
        assert lock.path == db.with_name("itp6.db.lock")  # what .gitignore and the docs name
        holder = json.loads(lock.path.read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and set(holder) == {"pid", "host", "since"}
    assert lock.path.read_bytes() == b""  # no stale name for the next run to report
    with ArchiveLock(db):  # and it can be taken again
        pass


def test_a_holder_that_has_not_written_its_name_is_described_as_such():
    from itp6crawl.store.lock import _describe

    assert _describe("") == "a process that has not written its name yet"
    assert _describe('{"pid": 7, "host": "h", "since": "t"}') == "pid 7 on h, running since t"


def test_the_lock_file_is_readable_by_all_and_names_its_holder_in_china_time(tmp_path):
    previous = os.umask(0o022)
    try:
        with ArchiveLock(tmp_path / "itp6.db") as lock:
            assert stat.S_IMODE(lock.path.stat().st_mode) == 0o644
            assert json.loads(lock.path.read_text(encoding="utf-8"))["since"].endswith("+08:00")
    finally:
        os.umask(previous)


def test_a_holder_that_wrote_garbage_is_still_described(tmp_path):
    db = tmp_path / "itp6.db"
    garbage = HOLD.replace(
        "ArchiveLock(sys.argv[1]).acquire()",
        'lock = ArchiveLock(sys.argv[1]).acquire()\nimport os; os.pwrite(lock._fd, b"\\xff\\xfe{", 0)',
    )
    holder = subprocess.Popen([sys.executable, "-c", garbage, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveBusy, match="a process that has not written its name yet"):
            ArchiveLock(db).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_release_without_the_lock_or_twice_does_nothing(tmp_path):
    lock = ArchiveLock(tmp_path / "itp6.db")
    lock.release()
    lock.acquire().release()
    lock.release()
    ArchiveLock(tmp_path / "itp6.db").acquire().release()


def _archive_file(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    return path


def test_the_same_archive_through_a_symlink_is_locked_too(tmp_path):
    db = _archive_file(tmp_path / "itp6.db")
    link = tmp_path / "alias.db"
    link.symlink_to(db)
    with ArchiveLock(db), pytest.raises(ArchiveBusy, match=rf"another run holds {link}: pid {os.getpid()}"):
        ArchiveLock(link).acquire()
    with ArchiveLock(link) as lock:
        assert lock.path == db.with_name("itp6.db.lock")  # the link's target's lock file, not alias.db.lock
        with pytest.raises(ArchiveBusy):
            ArchiveLock(db).acquire()


def test_a_symlink_to_an_archive_not_made_yet_shares_its_lock(tmp_path):
    link = tmp_path / "alias.db"
    link.symlink_to(tmp_path / "new" / "itp6.db")
    with ArchiveLock(tmp_path / "new" / "itp6.db"), pytest.raises(ArchiveBusy):
        ArchiveLock(link).acquire()


def test_the_same_archive_through_a_hard_link_is_locked_too(tmp_path):
    db = _archive_file(tmp_path / "itp6.db")
    (tmp_path / "elsewhere").mkdir()
    other = tmp_path / "elsewhere" / "copy.db"
    os.link(db, other)
    with ArchiveLock(db), pytest.raises(ArchiveBusy, match="under another name \\(a hard link"):
        ArchiveLock(other).acquire()
    with ArchiveLock(other), pytest.raises(ArchiveBusy):
        ArchiveLock(db).acquire()
    ArchiveLock(db).acquire().release()  # both free again
    assert not (tmp_path / "elsewhere" / "copy.db.lock").read_bytes()


def test_a_refused_hard_link_lock_leaves_the_holder_named_in_the_lock_file(tmp_path):
    db = _archive_file(tmp_path / "itp6.db")
    other = tmp_path / "copy.db"
    os.link(db, other)
    with ArchiveLock(db) as lock:
        with pytest.raises(ArchiveBusy):
            ArchiveLock(other).acquire()
        assert f'"pid": {os.getpid()}' in lock.path.read_text()


def test_an_archive_created_under_the_lock_is_covered_against_hard_links_once_it_exists(tmp_path):
    db = tmp_path / "itp6.db"
    with ArchiveLock(db) as lock:
        assert ArchiveLock.held(db) is lock and ArchiveLock.held(tmp_path / "other.db") is None
        _archive_file(db)  # the first run creates the archive after taking the lock
        os.link(db, tmp_path / "copy.db")
        ArchiveLock(tmp_path / "copy.db").acquire().release()  # the new file is not covered yet
        lock.cover_database()
        with pytest.raises(ArchiveBusy, match="hard link"):
            ArchiveLock(tmp_path / "copy.db").acquire()
    assert ArchiveLock.held(db) is None
