"""Which WARC files and records of a folder are one archive's own.

``reindex`` replays only these: files whose ``warcinfo`` names this archive, and, in the files of
releases that named none (``<run-id>.warc.gz``, which two archives in one folder shared), the records of
this archive's runs: written within the run's time, from its site. Every other file or record is
refused and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .store import Archive, ArchiveError, ArchiveMissing
from .times import parse_iso
from .urls import same_site
from .warc import ARCHIVE_ID_FIELD, WarcResponse, iter_responses, run_of_file, warc_files, warcinfo_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunWindow:
    """When and from where one run of the archive fetched: the records of a legacy file that are its own."""

    site: str
    start: datetime
    end: datetime | None  # None: until the end of time (the last run, or a run killed without an end)

    def holds(self, record: WarcResponse) -> bool:
        date = record.date
        slack = timedelta(seconds=2)  # WARC-Date has whole seconds; run times are taken a moment apart
        return (
            date >= self.start - slack
            and (self.end is None or date <= self.end + slack)
            and same_site(record.url, self.site)
        )


@dataclass
class RecordSelection:
    """Which WARC files and records of a folder are one archive's own (see the module docstring)."""

    files: list[Path] = field(default_factory=list)
    windows: dict[str, RunWindow | None] = field(default_factory=dict)  # legacy file name -> its run's window
    refused_files: list[str] = field(default_factory=list)
    refused_records: int = 0

    def records(self) -> Iterator[WarcResponse]:
        for record in iter_responses(self.files):
            window = self.windows.get(record.file)
            if window is not None and not window.holds(record):
                self.refused_records += 1
                continue
            yield record


def check_warc_folder(warc_dir: Path) -> None:
    """Raise :class:`ArchiveMissing` when ``warc_dir`` holds no WARC file to replay."""
    if not warc_files(warc_dir):
        raise ArchiveMissing(f"no WARC files in {warc_dir}: nothing to rebuild from")


def select_records(archive: Archive, warc_dir: Path, *, new: bool) -> RecordSelection:
    """The WARC files of ``warc_dir`` (and, in legacy files, the records) that are ``archive``'s own.

    A ``new`` archive (rebuilt from WARC files alone) has no identity of its own yet: it takes the one
    archive the files name, and refuses to guess between several."""
    named = {path: warcinfo_of(path).get(ARCHIVE_ID_FIELD) for path in warc_files(warc_dir)}
    owners = sorted({owner for owner in named.values() if owner})
    ours = archive.identity().archive_id
    if new and owners:
        if len(owners) > 1:
            listed = ", ".join(f"{owner[:8]} ({_archive_name(named, owner)})" for owner in owners)
            raise ArchiveError(
                f"the WARC folder holds the files of {len(owners)} archives ({listed}): reindex"
                " each into its own archive, or copy one archive's files into a folder of their own"
            )
        ours = owners[0]
        archive.adopt_identity(ours)
    windows = _run_windows(archive)
    selection = RecordSelection()
    for path, owner in named.items():
        if owner == ours:
            selection.files.append(path)
        elif owner:
            selection.refused_files.append(path.name)
            logger.warning("%s belongs to another archive (%s): not replayed", path, owner)
        elif new and not windows:
            selection.files.append(path)  # a legacy file and no run log to tell whose: all of it
        else:
            run = run_of_file(path)
            window = windows.get(run) if run is not None else None
            if window is None:
                selection.refused_files.append(path.name)
                logger.warning("%s is not the file of a run of this archive: not replayed", path)
                continue
            selection.files.append(path)
            selection.windows[path.name] = window
    return selection


def _archive_name(named: dict[Path, str | None], owner: str) -> str:
    return next(path.name.rsplit("-", 2)[0] for path, name in named.items() if name == owner)


def _run_windows(archive: Archive) -> dict[int, RunWindow]:
    """Each run's site and time span, from the run log (a run killed without an end lasts until the next)."""
    rows = archive.runs.spans()
    windows: dict[int, RunWindow] = {}
    for index, (run_id, site, started_at, finished_at) in enumerate(rows):
        start = parse_iso(started_at or "")
        if start is None or not site:
            continue
        end = parse_iso(finished_at or "")
        if end is None and index + 1 < len(rows):
            end = parse_iso(rows[index + 1][2] or "")
        windows[run_id] = RunWindow(site, start, end)
    return windows
