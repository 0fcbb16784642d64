"""Our ``Article`` against the replica's gold, field by field (set a)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def _get(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def _norm(value: Any) -> Any:
    """Comparable form: strings whitespace-collapsed (not NFKC: the archive keeps what the page shows)."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def _link_list(gold: dict[str, Any], key: str, attr: str) -> list[Any] | None:
    if f"{key}_{attr}s" in gold:  # e.g. related_urls
        return list(gold[f"{key}_{attr}s"])
    if key not in gold:
        return None
    out = []
    for item in gold[key] or []:
        if isinstance(item, str):
            out.append(item if attr == "url" else None)
        elif isinstance(item, (list, tuple)):
            out.append(item[0] if attr == "url" else (item[1] if len(item) > 1 else None))
        else:
            out.append(_get(item, attr))
    return out


def _neighbour(gold: dict[str, Any], which: str) -> tuple[bool, Any]:
    if f"{which}_url" in gold:
        return True, gold[f"{which}_url"]
    if which in gold:
        value = gold[which]
        return True, value if value is None or isinstance(value, str) else _get(value, "url")
    return False, None


def _images(gold_images: list[Any], ours: list[Any]) -> tuple[Any, Any]:
    """Project our images onto the attributes the gold records (src only when gold lists strings)."""
    if all(isinstance(i, str) for i in gold_images):
        return list(gold_images), [_get(i, "src") for i in ours]
    keys = [k for k in ("src", "alt", "caption") if any(k in i for i in gold_images if isinstance(i, dict))]
    return ([[_get(i, k) for k in keys] for i in gold_images], [[_get(i, k) for k in keys] for i in ours])


# Fields compared value for value between the gold and our Article.
SCALAR_FIELDS = (
    "title",
    "author",
    "credit",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "summary",
    "views",
    "likes",
)
METADATA_FIELDS = (
    *SCALAR_FIELDS,
    "images",
    "related_urls",
    "related_titles",
    "prev_url",
    "next_url",
    "comment_authors",
    "comment_texts",
)
# Also compared and printed, but outside the "0 mismatches" target.
EXTRA_FIELDS = ("id", "theme", "related_dates", "prev_title", "next_title", "comment_times")


def metadata_pairs(gold: dict[str, Any], article: Any) -> Iterator[tuple[str, Any, Any]]:
    """(field, gold value, our value) for each field the gold records."""
    for name in ("id", "theme", *SCALAR_FIELDS):
        if name in gold:
            yield name, gold[name], getattr(article, name, None)
    if "images" in gold:
        yield "images", *_images(list(gold["images"] or []), list(getattr(article, "images", []) or []))
    related = list(getattr(article, "related", []) or [])
    for attr in ("url", "title", "date"):
        expected = _link_list(gold, "related", attr)
        if expected is not None:
            yield f"related_{attr}s", expected, [_get(link, attr) for link in related]
    for which in ("prev", "next"):
        present, expected = _neighbour(gold, which)
        if present:
            yield f"{which}_url", expected, getattr(article, f"{which}_url", None)
        if f"{which}_title" in gold:
            link = getattr(article, which, None)
            yield f"{which}_title", gold[f"{which}_title"], _get(link, "title") if link is not None else None
    if "comments" in gold:
        comments = list(getattr(article, "comments", []) or [])
        for attr in ("author", "text", "time"):
            yield f"comment_{attr}s", [_get(c, attr) for c in gold["comments"] or []], [_get(c, attr) for c in comments]


def _empty_is_none(value: Any) -> Any:
    return None if value in ("", [], None) else value


def _short(value: Any, width: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class MetadataTally:
    """Fields checked and mismatched over a set's pages, with the first mismatch of each field as its example."""

    compared: Counter[str] = field(default_factory=Counter)
    mismatches: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def check(self, page_id: str, gold: dict[str, Any], article: Any) -> None:
        for name, expected, got in metadata_pairs(gold, article):
            self.compared[name] += 1
            if _empty_is_none(_norm(expected)) != _empty_is_none(_norm(got)):
                self.mismatches[name] += 1
                self.examples.setdefault(name, f"{page_id}: gold {_short(expected)} / ours {_short(got)}")

    def page_failed(self) -> None:
        self.mismatches["(page failed)"] += 1

    def report(self) -> dict[str, Any]:
        compared, mismatches = self.compared, self.mismatches
        return {
            "compared": {f: compared[f] for f in (*METADATA_FIELDS, *EXTRA_FIELDS) if compared[f]},
            "mismatches": {
                f: mismatches[f] for f in (*METADATA_FIELDS, "(page failed)") if compared[f] or mismatches[f]
            },
            "extra_mismatches": {f: mismatches[f] for f in EXTRA_FIELDS if compared[f]},
            "not_in_gold": [f for f in METADATA_FIELDS if not compared[f]],
            "examples": self.examples,
        }
