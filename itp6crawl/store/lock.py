"""One crawl at a time per archive: an advisory ``fcntl`` lock on ``<archive>.lock``.

The kernel releases the lock when its process ends, however it ends, so a lock left by a killed run
is simply taken over by the next one; the holder's pid, host and start time, written into the file,
only serve the message shown to a second run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime
from pathlib import Path

from ..models import CST, iso
from .schema import ArchiveError


class ArchiveBusy(ArchiveError):
    """Another run holds the archive."""


class ArchiveLock:
    def __init__(self, db_path: str | Path) -> None:
        db_path = Path(db_path)
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> ArchiveLock:
        """Take the lock at once or raise :class:`ArchiveBusy` naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            raise ArchiveBusy(f"another run holds {self.path.with_suffix('')}: {_describe(holder)}") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": iso(datetime.now(CST))}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on {info['host']}, running since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"
