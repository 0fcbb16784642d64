"""Metadata every WordPress page carries in its head, whatever the theme: canonical URL, og:* tags,
JSON-LD, the shortlink (``?p={id}``), and the post id wherever it shows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..models import post_id_from_url
from .html import HtmlElement, absolute, collapse, first_text

_SHORTLINK = re.compile(r"[?&]p=(\d+)")


@dataclass(slots=True)
class HeadMeta:
    canonical: str = ""
    title: str = ""  # as declared for sharing: og:title or the JSON-LD headline
    document_title: str = ""  # the <title> tag, often "article - site"
    published: str = ""
    modified: str = ""
    author: str = ""
    post_id: int | None = None
    section: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


def _json_ld_objects(doc: HtmlElement) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in doc.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return objects


def _author_name(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name", "")
    return collapse(str(value)) if value else ""


def read_head(doc: HtmlElement, url: str) -> HeadMeta:
    """Collect head metadata; fields missing from the page stay empty."""
    meta = HeadMeta()

    def prop(name: str) -> str:
        return first_text(doc, f"//meta[@property='{name}' or @name='{name}']/@content")

    meta.canonical = absolute(url, first_text(doc, "//link[@rel='canonical']/@href")) or absolute(url, prop("og:url"))
    meta.title = prop("og:title")
    meta.published = prop("article:published_time")
    meta.modified = prop("article:modified_time") or prop("og:updated_time")
    meta.author = prop("article:author") if not prop("article:author").startswith("http") else ""
    meta.section = [s for s in (collapse(v) for v in doc.xpath("//meta[@property='article:section']/@content")) if s]
    meta.keywords = [k for k in (collapse(v) for v in doc.xpath("//meta[@property='article:tag']/@content")) if k]
    for obj in _json_ld_objects(doc):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(k in ("Article", "BlogPosting", "NewsArticle", "WebPage") for k in kinds):
            continue
        meta.title = meta.title or collapse(str(obj.get("headline", "")))
        meta.published = meta.published or str(obj.get("datePublished", ""))
        meta.modified = meta.modified or str(obj.get("dateModified", ""))
        meta.author = meta.author or _author_name(obj.get("author"))
    meta.document_title = first_text(doc, "//title")
    shortlink = first_text(doc, "//link[@rel='shortlink']/@href")
    match = _SHORTLINK.search(shortlink)
    if match:
        meta.post_id = int(match.group(1))
    else:
        body_class = first_text(doc, "//body/@class")
        match = re.search(r"\bpostid-(\d+)\b", body_class)
        meta.post_id = int(match.group(1)) if match else post_id_from_url(meta.canonical or url)
    return meta
