"""The benchmark's page sets, each page decoded once and paired with its reference."""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itp6crawl.extract.encoding import decode_html

BASE = "https://www.itp6.com"


@dataclass
class Page:
    id: str
    url: str
    html: str  # decoded once, fed to every extractor
    reference: str = ""
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    gold: dict[str, Any] | None = None
    fetched_at: Any = None  # the replica's "now", for relative dates (3天前); ours only


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def header_charset(headers: Any) -> str | None:
    """The charset parameter of a Content-Type header, from a dict or a list of pairs."""
    if not headers:
        return None
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:
        name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if name.lower() != "content-type":
            continue
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for param in value.split(";")[1:]:
            key, _, val = param.partition("=")
            if key.strip().lower() == "charset":
                return val.strip().strip("\"'") or None
    return None


def replica_pages(n_articles: int, *, renamed: bool) -> list[Page]:
    from itp6crawl.replica import build_site

    rename = None
    if renamed:
        from itp6crawl.replica import rename_theme_classes as rename
    site = build_site(n_articles=n_articles, seed=0)
    pages = []
    for gold in site.gold(BASE):
        status, headers, body = site.render(path_of(gold["url"]), BASE)
        if status != 200:
            print(f"  ! replica answered {status} for gold page {gold['url']}", file=sys.stderr)
            continue
        if rename is not None:
            try:
                body = rename(body)
            except TypeError:  # renamer wants text
                body = rename(decode_html(body, header_charset(headers)))
        html = decode_html(body, header_charset(headers))
        pages.append(
            Page(
                str(gold.get("id") or gold["url"]),
                gold["url"],
                html,
                "\n\n".join(gold["body"]),
                gold=gold,
                fetched_at=getattr(site, "now", None),
            )
        )
    return pages


def zh_pages(shared: Path) -> list[Page]:
    root = shared / "benchmarks" / "zh-web-content-extraction"
    ground = json.loads((root / "eval" / "cleaned_ground.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(ground):
        data = (root / "original" / f"{page_id}.html").read_bytes()
        url = f"https://zh-web-content-extraction.invalid/{page_id}.html"  # the set records no URLs
        pages.append(Page(page_id, url, decode_html(data), ground[page_id]["articleBody"]))
    return pages


def snippet_pages(shared: Path) -> list[Page]:
    root = shared / "benchmarks" / "trafilatura-eval-zh"
    evaldata = json.loads((root / "evaldata-zh.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in evaldata.items():
        data = (root / "html" / entry["file"]).read_bytes()
        pages.append(
            Page(
                entry["file"],
                url,
                decode_html(data),
                must=list(entry.get("with", [])),
                must_not=list(entry.get("without", [])),
            )
        )
    return pages


def english_pages(shared: Path) -> list[Page]:
    root = shared / "benchmarks" / "scrapinghub-article-extraction-benchmark"
    ground = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(ground):
        data = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(
            Page(
                page_id,
                ground[page_id].get("url") or "",
                decode_html(data, "utf-8"),
                ground[page_id].get("articleBody") or "",
            )
        )
    return pages
