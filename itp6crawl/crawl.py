"""Run the ``itp6`` spider in this process (the CLI's ``crawl`` and ``demo`` call this), within its limits.

Before Scrapy starts, the runner checks every ``-s`` override against the type of the setting's default,
refuses a file that is not an archive, checks that the site answers at all (an unreachable site fails in
seconds with one line, and leaves no new empty archive behind), and takes the archive's lock, so a second
run stops at once instead of crawling beside the first.

The run's limits end it as finished (exit 0, the reason in ``crawl_runs.finish_reason``), see
:mod:`itp6crawl.limits`: ``ITP6_MAX_ARTICLES`` (``--max-articles``), ``ITP6_SINCE`` (``--since``) and
Scrapy's ``CLOSESPIDER_*``, of which ``CLOSESPIDER_ITEMCOUNT`` is made exact.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from scrapy.settings import default_settings as scrapy_default_settings
from w3lib.http import basic_auth_header

from . import settings as default_settings
from .exits import EXIT_FAILED
from .limits import DATE_FORMAT
from .session import CrawlSession
from .spiders.itp6 import Itp6Spider, check_site
from .store import Archive, ArchiveLock, check_archive_file, check_writable
from .times import CST
from .urls import is_loopback, redact_url, site_host, without_credentials
from .workers import worker_count

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 6.0  # seconds: an unreachable site fails well within 10 s

# -- -s NAME=VALUE -------------------------------------------------------------------------------------

# Settings whose default is an integer but which Scrapy reads as a number of seconds (getfloat).
SECONDS_SETTINGS = frozenset({"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "CLOSESPIDER_TIMEOUT"})
# Settings of a type wider than their default's, checked by their reader with its own message.
CHECKED_BY_READER = frozenset({"ITP6_WORKERS"})
BOOLEANS = {"1": True, "true": True, "True": True, "0": False, "false": False, "False": False}  # as Scrapy's getbool
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def setting_default(name: str) -> Any:
    """The default of setting ``name``: ours (settings.py), else Scrapy's; None when neither has one."""
    for module in (default_settings, scrapy_default_settings):
        if hasattr(module, name):
            return getattr(module, name)
    return None


def setting_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` with each text value (``-s NAME=VALUE``) turned into the type of the setting's default:
    an integer, a number, a boolean, a JSON object, a list (JSON or Scrapy's ``a,b``). ValueError in one line,
    naming the setting, the type it expects and the value given; nothing has started then. Values that
    are not text (from Python) and settings without a typed default (None, text, unknown names, as
    ``scrapy crawl -s`` allows) pass as they are."""
    return {name: _typed(name, value) if isinstance(value, str) else value for name, value in overrides.items()}


def _typed(name: str, value: str) -> Any:
    default = setting_default(name)
    special = _SPECIAL.get(name)
    if special is not None:
        return special(name, value)
    if name in CHECKED_BY_READER or default is None or isinstance(default, str):
        return value
    if isinstance(default, bool):
        if value.strip() in BOOLEANS:
            return BOOLEANS[value.strip()]
        raise _bad(name, value, "a boolean (true/false or 1/0)", default)
    if isinstance(default, int) and name not in SECONDS_SETTINGS:
        try:
            return int(value)
        except ValueError:
            raise _bad(name, value, "an integer", default) from None
    if isinstance(default, int | float):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _bad(name, value, "a number", default)
        return number
    if isinstance(default, dict):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise _bad(name, value, 'a JSON object such as {"name": 1}', None)
        return parsed
    if isinstance(default, list | tuple):
        if value.lstrip().startswith("{"):
            raise _bad(name, value, 'a list: a JSON array such as ["a", "b"], or a,b', None)
        if not value.lstrip().startswith("["):
            return [part for part in value.split(",") if part] if value else []
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list):
            raise _bad(name, value, 'a list: a JSON array such as ["a", "b"], or a,b', None)
        return parsed
    return value


def _bad(name: str, value: str, expected: str, default: Any) -> ValueError:
    shown = f" (its default is {default!r})" if default is not None and not isinstance(default, dict) else ""
    return ValueError(f"-s {name} expects {expected}{shown}, got {value!r}")


def _date(name: str, value: str) -> str:
    try:
        datetime.strptime(value.strip(), DATE_FORMAT)
    except ValueError:
        raise _bad(name, value, "a date YYYY-MM-DD", None) from None
    return value.strip()


def _count(name: str, value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise _bad(name, value, "an integer of 0 or more (0: no limit)", None)
    return count


def _log_level(name: str, value: str) -> str:
    if value.strip().upper() not in LOG_LEVELS:
        raise _bad(name, value, f"a log level ({', '.join(LOG_LEVELS)})", None)
    return value.strip().upper()


_SPECIAL = {"ITP6_SINCE": _date, "ITP6_MAX_ARTICLES": _count, "LOG_LEVEL": _log_level}


# -- the run -------------------------------------------------------------------------------------------


class SiteUnreachable(Exception):
    """The site did not answer at all (DNS, refused connection, timeout)."""


@dataclass(slots=True)
class RunResult:
    """How a run ended: its ``crawl_runs`` row (the printed summary) and the process exit status."""

    row: dict[str, Any]
    exit_status: int
    stats: dict[str, Any]


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
    port = urlparse(site).port
    # The site's own hosts, as the spider allows them (with and without www.); Scrapy matches the port too.
    domain = site_host(site) + (f":{port}" if port else "")
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
    another run holds it) before anything is written. A password in ``site`` is used, never shown; a text
    value in ``overrides`` (``-s NAME=VALUE``) is checked and typed by :func:`setting_overrides` first.

    A second Ctrl-C (or SIGTERM) makes Scrapy stop at once, without closing the spider: the run is then
    ended here, as interrupted, with what was committed; Scrapy ignores further signals meanwhile."""
    overrides = setting_overrides(overrides or {})
    shown = redact_url(site)
    check_site(shown)  # its error quotes the site: without the password
    given = check_site(site)
    site, credentials = credential_settings(given)
    if local and not is_loopback(site, resolve=True):
        raise ValueError(f"--local relaxes politeness and is only allowed for loopback sites, not {shown}")
    db = Path(db)
    check_archive_file(db)
    check_writable(db)  # a read-only archive or folder: one line, before a lock or WAL file is made
    settings = crawl_settings(db, local=local, full=full, overrides={**credentials, **overrides})
    worker_count(settings.get("ITP6_WORKERS"))  # a bad ITP6_WORKERS is a usage error, found before the crawl starts
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
    row = session.result or {
        "finish_reason": "failed",
        "exit_status": EXIT_FAILED,
        "error": session.error or "the crawl did not start",
    }
    return RunResult(row=row, exit_status=int(row.get("exit_status", EXIT_FAILED)), stats=stats)
