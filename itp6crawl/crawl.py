"""Run the ``itp6`` spider in this process (the CLI's ``crawl`` and ``demo`` call this)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings

from . import settings as default_settings
from .spiders.itp6 import Itp6Spider, check_site


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


def crawl_settings(db: str | Path, *, local: bool = False, overrides: dict[str, Any] | None = None) -> Settings:
    """The project settings with the archive path; ``local`` drops the delays for a loopback replica."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("ITP6_DB", str(db), priority="cmdline")
    if local:
        settings.setdict(default_settings.LOCAL_REPLICA_SETTINGS, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawl(
    site: str, db: str | Path, *, local: bool = False, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Crawl ``site`` into the archive at ``db``; return Scrapy's final stats. Blocks until done."""
    site = check_site(site)
    if local and not is_loopback(site):
        raise ValueError(f"--local relaxes politeness and is only allowed for loopback sites, not {site}")
    process = AsyncCrawlerProcess(crawl_settings(db, local=local, overrides=overrides))
    crawler = process.create_crawler(Itp6Spider)
    process.crawl(crawler, site=site)
    process.start()
    assert crawler.stats is not None
    return crawler.stats.get_stats()
