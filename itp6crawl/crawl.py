"""Run the ``itp6`` spider in this process (the CLI's ``crawl`` and ``demo`` call this).

Before Scrapy starts, the runner refuses a file that is not an archive, checks that the site answers
at all (an unreachable site fails in seconds with one line, and leaves no new empty archive behind),
and takes the archive's lock, so a second run stops at once instead of crawling beside the first.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from w3lib.http import basic_auth_header

from . import settings as default_settings
from .models import CST, redact_url, without_credentials
from .pipelines import crawl_workers
from .session import EXIT_FAILED, CrawlSession
from .spiders.itp6 import Itp6Spider, check_site
from .store import Archive, ArchiveLock, check_archive_file, check_writable

PROBE_TIMEOUT = 6.0  # seconds: an unreachable site fails well within 10 s


class SiteUnreachable(Exception):
    """The site did not answer at all (DNS, refused connection, timeout)."""


@dataclass(slots=True)
class RunResult:
    """How a run ended: its ``crawl_runs`` row (the printed summary) and the process exit status."""

    row: dict[str, Any]
    exit_status: int
    stats: dict[str, Any]


def is_loopback(site: str) -> bool:
    """True when ``site``'s host is this machine (politeness may be relaxed only there)."""
    host = urlparse(site).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False


def crawl_settings(
    db: str | Path, *, local: bool = False, full: bool = False, overrides: dict[str, Any] | None = None
) -> Settings:
    """The project settings with the archive path; ``local`` drops the delays for a loopback replica."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("ITP6_DB", str(db), priority="cmdline")
    settings.set("ITP6_FULL", full, priority="cmdline")
    if local:
        settings.setdict(default_settings.LOCAL_REPLICA_SETTINGS, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


class Secret(str):
    """A setting's value that never shows itself in a repr (Scrapy logs its overridden settings)."""

    def __repr__(self) -> str:
        return "'***'"


def credential_settings(site: str) -> tuple[str, dict[str, Any]]:
    """``site`` without ``user:password@``, and the Scrapy settings that send those credentials to the
    site's host as HTTP basic auth (``HttpAuthMiddleware``). Taken out before the crawl, they are in no
    request URL, so in no log line, WARC target, failure or Referer; a password is never shown."""
    site, user, password = without_credentials(site)
    if user is None:
        return site, {}
    parts = urlparse(site)
    # The site's own hosts, as the spider allows them (with and without www.); Scrapy matches the port too.
    domain = (parts.hostname or "").removeprefix("www.") + (f":{parts.port}" if parts.port else "")
    return site, {"HTTPAUTH_USER": user, "HTTPAUTH_PASS": Secret(password or ""), "HTTPAUTH_DOMAIN": domain}


def probe_site(site: str, user_agent: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Raise :class:`SiteUnreachable` unless ``site`` answers HTTP at all (any status will do); a password
    in ``site`` is sent as basic auth and shown as ``***``."""
    url, user, password = without_credentials(site)
    headers = {"User-Agent": user_agent}
    if user is not None:
        headers["Authorization"] = basic_auth_header(user, password or "").decode()
    request = urllib.request.Request(f"{url}/robots.txt", headers=headers)
    shown = redact_url(site)
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered
    except urllib.error.URLError as error:
        reason = error.reason
        raise SiteUnreachable(f"cannot reach {shown}: {getattr(reason, 'strerror', None) or reason}") from None
    except (TimeoutError, OSError) as error:
        raise SiteUnreachable(f"cannot reach {shown}: {error.strerror or error or 'timed out'}") from None


def record_unreachable(db: Path, site: str, full: bool, error: str) -> dict[str, Any] | None:
    """A failed run row in an existing archive (none is created for a site that never answered)."""
    if not db.exists():
        return None
    with ArchiveLock(db), Archive.open(db) as archive:
        now = datetime.now(CST)
        run_id = archive.runs.begin(site, now, full=full)
        return archive.runs.finish(
            run_id, now, reason="failed", exit_status=EXIT_FAILED, counts={}, stats={}, error=error
        )


def run_crawl(
    site: str,
    db: str | Path,
    *,
    local: bool = False,
    full: bool = False,
    overrides: dict[str, Any] | None = None,
) -> RunResult:
    """Crawl ``site`` into the archive at ``db``. Blocks until done.

    Raises ValueError (bad site or settings), :class:`SiteUnreachable`, or an ``ArchiveError`` (not an archive,
    another run holds it) before anything is written. A password in ``site`` is used, never shown.

    A second Ctrl-C (or SIGTERM) makes Scrapy stop at once, without closing the spider: the run is then
    ended here, as interrupted, with what was committed; Scrapy ignores further signals meanwhile."""
    shown = redact_url(site)
    check_site(shown)  # its error quotes the site: without the password
    given = check_site(site)
    site, credentials = credential_settings(given)
    if local and not is_loopback(site):
        raise ValueError(f"--local relaxes politeness and is only allowed for loopback sites, not {shown}")
    db = Path(db)
    check_archive_file(db)
    check_writable(db)  # a read-only archive or folder: one line, before a lock or WAL file is made
    settings = crawl_settings(db, local=local, full=full, overrides={**credentials, **(overrides or {})})
    crawl_workers(settings)  # a bad ITP6_WORKERS is a usage error, found before the crawl starts
    try:
        probe_site(given, settings.get("USER_AGENT"))
    except SiteUnreachable as error:
        record_unreachable(db, site, full, str(error))
        raise
    with ArchiveLock(db):
        settings.set("ITP6_LOCK_HELD", True, priority="cmdline")
        process = AsyncCrawlerProcess(settings)
        crawler = process.create_crawler(Itp6Spider)
        process.crawl(crawler, site=site)
        process.start()
        session = CrawlSession.of(crawler)
        # The reactor stopped with the spider open: a forced shutdown (crawling is False once a stop
        # was asked) or an error in Scrapy itself. Either way the run row is written, truthfully.
        session.end_unclosed(stopping=not crawler.crawling)
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    row = session.result or {"finish_reason": "failed", "error": session.error or "the crawl did not start"}
    return RunResult(row=row, exit_status=int(row.get("exit_status", EXIT_FAILED)), stats=stats)
