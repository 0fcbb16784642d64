"""One crawl at a time per archive: advisory ``flock`` locks held on the archive's identity, not its path.

Two locks, both taken at once or not at all: one on ``<archive>.lock`` beside the file the path
resolves to (so a symlink to the archive and the archive itself share it; it also covers an archive
not created yet), and one on the database file itself (so a hard link, which is the same file under
another name, is locked too). The kernel releases both when their process ends, however it ends, so
a lock left by a killed run is simply taken over by the next one; the holder's pid, host and start
time, written into the ``.lock`` file, only serve the message shown to a second run.

``flock`` locks do not interact with SQLite's own (POSIX ``fcntl``) locks on Linux. But closing any
descriptor of a file drops every POSIX lock the process holds on it, so the lock is released only
after the process has closed its connections to the archive (every caller does: ``with ArchiveLock(db),
Archive.open(db)`` closes the archive first).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime
from pathlib import Path

from ..times import CST, iso
from .schema import ArchiveError


class ArchiveBusy(ArchiveError):
    """Another run holds the archive."""


class ArchiveLock:
    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        real = Path(os.path.realpath(self.db_path))  # through every symlink, even to a file not made yet
        self.database = real
        self.path = real.with_name(real.name + ".lock")
        self._fd: int | None = None
        self._database_fd: int | None = None

    def acquire(self) -> ArchiveLock:
        """Take the lock at once or raise :class:`ArchiveBusy` naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            os.close(fd)
            raise ArchiveBusy(f"another run holds {self.db_path}: {_describe(holder)}") from None
        try:
            self._database_fd = _lock_file(self.database)
        except BlockingIOError:
            os.close(fd)  # ours was free: no holder to erase
            raise ArchiveBusy(
                f"another run holds {self.db_path} under another name (a hard link to the same file)"
            ) from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": iso(datetime.now(CST))}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd
        _HELD[self.database] = self
        return self

    def cover_database(self) -> None:
        """Lock the database file too, if it was created after :meth:`acquire` (a first run): from then
        on a hard link to it is locked as well. Raises :class:`ArchiveBusy` if one already is."""
        if self._fd is None or self._database_fd is not None:
            return
        try:
            self._database_fd = _lock_file(self.database)
        except BlockingIOError:
            raise ArchiveBusy(
                f"another run holds {self.db_path} under another name (a hard link to the same file)"
            ) from None

    @staticmethod
    def held(db_path: str | Path) -> ArchiveLock | None:
        """The lock this process holds on the archive at ``db_path`` (by any name), if any."""
        return _HELD.get(Path(os.path.realpath(db_path)))

    def release(self) -> None:
        """Let go of both locks; the caller has closed its connections to the archive (module docstring)."""
        if _HELD.get(self.database) is self:
            del _HELD[self.database]
        if self._database_fd is not None:
            fcntl.flock(self._database_fd, fcntl.LOCK_UN)
            os.close(self._database_fd)
            self._database_fd = None
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


_HELD: dict[Path, ArchiveLock] = {}  # the locks this process holds, by the archive's real path


def _lock_file(path: Path) -> int | None:
    """An exclusive ``flock`` on the database file itself, if it exists (None otherwise): the identity a
    hard link shares. Raises ``BlockingIOError`` when another process holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        return f"pid {info['pid']} on {info['host']}, running since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"
