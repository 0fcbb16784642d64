"""Metadata every WordPress page carries in its head, whatever the theme: canonical URL, og:* tags,
JSON-LD, the shortlink (``?p={id}``), and the post id wherever it shows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..urls import post_id_from_url
from .html import HtmlElement, absolute, collapse, first_text, text_of

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


@dataclass(slots=True)
class _HeadTags:
    """The page's meta, link, title and JSON-LD tags, gathered in one walk over the tree (a dozen XPath
    queries over the whole page cost a tenth of an extraction)."""

    meta: dict[str, str] = field(default_factory=dict)  # property or name -> the first content given
    sections: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # rel -> the first href given
    title: str = ""
    json_ld: list[str] = field(default_factory=list)


def _head_tags(doc: HtmlElement) -> _HeadTags:
    found = _HeadTags()
    title_seen = False
    for element in doc.iter("meta", "link", "title", "script"):
        tag = element.tag
        if tag == "meta":
            content = element.get("content")
            if content is None:
                continue
            prop, name = element.get("property"), element.get("name")
            for key in (prop, name):
                if key is not None:
                    found.meta.setdefault(key, collapse(content))
            if prop == "article:section" and (value := collapse(content)):
                found.sections.append(value)
            elif prop == "article:tag" and (value := collapse(content)):
                found.tags.append(value)
        elif tag == "link":
            href = element.get("href")
            if href is not None:
                found.links.setdefault(element.get("rel") or "", collapse(href))
        elif tag == "title":
            if not title_seen:
                found.title, title_seen = text_of(element), True
        elif element.get("type") == "application/ld+json":
            found.json_ld.append(element.text or "")
    return found


def _json_ld_objects(scripts: list[str]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in scripts:
        try:
            data = json.loads(script)
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
    tags = _head_tags(doc)

    def prop(name: str) -> str:
        return tags.meta.get(name, "")

    meta.canonical = absolute(url, tags.links.get("canonical")) or absolute(url, prop("og:url"))
    meta.title = prop("og:title")
    meta.published = prop("article:published_time")
    meta.modified = prop("article:modified_time") or prop("og:updated_time")
    meta.author = prop("article:author") if not prop("article:author").startswith("http") else ""
    meta.section = tags.sections
    meta.keywords = tags.tags
    for obj in _json_ld_objects(tags.json_ld):
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(k in ("Article", "BlogPosting", "NewsArticle", "WebPage") for k in kinds):
            continue
        meta.title = meta.title or collapse(str(obj.get("headline", "")))
        meta.published = meta.published or str(obj.get("datePublished", ""))
        meta.modified = meta.modified or str(obj.get("dateModified", ""))
        meta.author = meta.author or _author_name(obj.get("author"))
    meta.document_title = tags.title
    shortlink = tags.links.get("shortlink", "")
    match = _SHORTLINK.search(shortlink)
    if match:
        meta.post_id = int(match.group(1))
    else:
        body_class = first_text(doc, "//body/@class")
        match = re.search(r"\bpostid-(\d+)\b", body_class)
        meta.post_id = int(match.group(1)) if match else post_id_from_url(meta.canonical or url)
    return meta
