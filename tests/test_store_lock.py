"""One run at a time per archive: the fcntl lock, its message, and the takeover after a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

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
