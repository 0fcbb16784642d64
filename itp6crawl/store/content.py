"""What an article's content is: the columns whose change makes a new version, and their hash.

Views, likes and comments are not content; neither are the search columns derived from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from ..records import Article

# Columns whose change makes a new version; counts (views, likes) and comments do not.
CONTENT_COLUMNS = (
    "url",
    "title",
    "author",
    "credit",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "summary",
    "body_text",
    "body_html",
    "images",
)
VERSIONED_COLUMNS = (*CONTENT_COLUMNS, "extractor", "content_hash", "fetched_at", "changed_at")


def _hash(values: list[Any]) -> str:
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash_of_row(row: dict[str, Any]) -> str:
    """SHA-256 over the stored content columns, stable across runs and releases."""
    return _hash([row[column] for column in CONTENT_COLUMNS])


def content_record(article: Article) -> dict[str, Any]:
    """The content columns of an article as the archive stores them."""
    return {
        "url": article.url,
        "title": article.title,
        "author": article.author,
        "credit": article.credit,
        "published_at": article.published_at,
        "modified_at": article.modified_at,
        "categories": json.dumps(article.categories, ensure_ascii=False),
        "tags": json.dumps(article.tags, ensure_ascii=False),
        "summary": article.summary,
        "body_text": article.body_text,
        "body_html": article.body_html,
        "images": json.dumps([asdict(image) for image in article.images], ensure_ascii=False),
    }


def content_hash(article: Article) -> str:
    """The hash of an article's content; views, likes and comments are not content."""
    return content_hash_of_row(content_record(article))
