#!/usr/bin/env python
"""Extraction-quality benchmark: our extractor beside trafilatura and readability-lxml.

One run measures, for every extractor, token precision/recall/F1 (macro average over pages,
metric in ``itp6crawl.quality``), boilerplate leaks and ms/page on:

  (a) replica    gold pages of the local JustNews replica (``itp6crawl.replica``), plus our
                 metadata checked field by field against the gold
  (b) renamed    the same pages with the theme's class names renamed: our generic fallback path
  (c) zh         zh-web-content-extraction, 69 Chinese pages vs their hand-cleaned text
  (d) snippets   trafilatura-eval-zh, must / must-not snippets
  (e) english    scrapinghub article-extraction-benchmark, token F1 only (``--english``)

Every page is decoded once, by our ``decode_html``, and all extractors get that same ``str``;
the timer runs around the extractor call only. Targets are printed with PASS/MISS; the exit
code is 0 whether or not they are met.

    python benchmarks/extract_quality.py [--limit N] [--articles N] [--english]
                                         [--json out.json] [--shared PATH]

The shared data folder is ``--shared``, else ``$ITP6_SHARED``, else ``../shared`` beside the repo.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing the package

from itp6crawl.extract.encoding import decode_html
from itp6crawl.quality import collapse, mean, snippet_score, token_prf

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://www.itp6.com"
TARGET_REPLICA_F1 = 0.99
TARGET_RENAMED_F1 = 0.95

# Leak markers that belong to the theme's entry-copyright notice (the rest are buttons, widgets, footer).
NOTICE_MARKERS = ("文章属于病友个人治疗见解", "不能替代执业医师当面诊断", "文章版权归作者所有", "未经允许请勿转载")


# --------------------------------------------------------------------------- extractors


@dataclass
class Output:
    """What one extractor made of one page."""

    text: str
    article: Any = None  # our Article, for the metadata check
    error: str | None = None


ExtractFn = Callable[["Page"], Output]


@dataclass
class Extractor:
    name: str
    fn: ExtractFn
    note: str = ""


def trafilatura_extractor() -> Extractor:
    import trafilatura

    def run(page: Page) -> Output:
        text = trafilatura.extract(page.html, favor_precision=True, include_comments=False, include_tables=True)
        return Output(text or "")

    return Extractor("trafilatura", run, f"trafilatura {getattr(trafilatura, '__version__', '?')} favor_precision")


_BLOCK_TAGS = frozenset(
    (
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    )
)
_DROP_TAGS = ("script", "style", "noscript", "template")


def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment, block elements on their own lines, blank lines dropped."""
    import lxml.html
    from lxml import etree

    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml.html.fromstring(fragment)
    except (etree.ParserError, ValueError):
        return ""
    for element in root.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        element.drop_tree()
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):  # comment or processing instruction: keep its tail only
            if event == "end" and element.tail:
                parts.append(element.tail)
            continue
        block = element.tag.lower() in _BLOCK_TAGS
        if event == "start":
            if block:
                parts.append("\n")
            if element.text:
                parts.append(element.text)
        else:
            if block:
                parts.append("\n")
            if element.tail and element is not root:
                parts.append(element.tail)
    lines = (collapse(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def readability_extractor() -> Extractor:
    import readability
    from readability import Document

    def run(page: Page) -> Output:
        return Output(html_to_text(Document(page.html).summary()))

    version = getattr(readability, "__version__", "")
    return Extractor("readability", run, f"readability-lxml {version}".strip())


def ours_extractor(*, generic: bool = False) -> tuple[Extractor | None, str]:
    """Our extractor, or None and the reason when ``itp6crawl.extract`` does not provide it yet."""
    try:
        from itp6crawl.extract import extract_article, extract_generic
    except ImportError as error:
        return None, f"itp6crawl.extract not ready ({error})"
    func = extract_generic if generic else extract_article

    def run(page: Page) -> Output:
        if page.fetched_at is not None:
            article = func(page.html, page.url, fetched_at=page.fetched_at)
        else:
            article = func(page.html, page.url)
        return Output(article.body_text or "", article)

    return Extractor("ours", run, "itp6crawl extract_generic" if generic else "itp6crawl extract_article"), ""


def stand_in_extractor() -> Extractor:
    """Development stand-in for ours (``--stand-in``): trafilatura with default settings."""
    import trafilatura

    def run(page: Page) -> Output:
        return Output(trafilatura.extract(page.html) or "")

    return Extractor("ours", run, "STAND-IN: trafilatura default (itp6crawl.extract missing)")


def _counts(text: str, markers: Iterable[str]) -> Counter[str]:
    from itp6crawl.extract.boilerplate import squash

    flat = squash(text)
    return Counter({m: flat.count(squash(m)) for m in markers})


def _notice_lines(text: str) -> Counter[str]:
    """作者:/链接: notice lines in ``text``, by their head."""
    from itp6crawl.extract.boilerplate import is_notice_line, squash

    found: Counter[str] = Counter()
    for line in text.splitlines():
        head = squash(line)[:3]
        if head in ("作者:", "链接:") and is_notice_line(line):
            found[head] += 1
    return found


def find_leaks(text: str, reference: str = "") -> tuple[list[str], list[str]]:
    """(leak markers, notice traces) in ``text`` beyond what the reference itself holds.

    Leak markers come from ``boilerplate.leaks``; a marker counts only when the output holds it more
    often than the reference, since the replica's bodies quote some chrome phrases on purpose
    (进群: 打开微信扫一扫...). Notice traces are the notice's fixed sentences and its 作者:/链接: lines.
    """
    from itp6crawl.extract.boilerplate import leaks

    present = leaks(text)
    if not present:
        return [], []
    out, ref = _counts(text, present), _counts(reference, present)
    found = [m for m in present if out[m] > ref[m]]
    notice = [m for m in found if m in NOTICE_MARKERS]
    lines_out, lines_ref = _notice_lines(text), _notice_lines(reference)
    notice += [head for head, n in lines_out.items() if n > lines_ref[head]]
    return found, notice


# --------------------------------------------------------------------------- pages


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


# --------------------------------------------------------------------------- metadata check


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


# --------------------------------------------------------------------------- running


@dataclass
class PageResult:
    id: str
    precision: float
    recall: float
    f1: float
    ms: float
    leaks: list[str] = field(default_factory=list)
    notice: list[str] = field(default_factory=list)
    path: str | None = None
    error: str | None = None
    snippets: dict[str, Any] | None = None


def run_extractor(
    extractor: Extractor,
    pages: list[Page],
    *,
    check_leaks: bool,
    metadata: Counter[str] | None = None,
    examples: dict[str, str] | None = None,
    compared: Counter[str] | None = None,
) -> list[PageResult]:
    if pages:  # warm-up, untimed: lazy imports and caches inside the extractor
        with contextlib.suppress(Exception):  # a failure shows on the timed call below
            extractor.fn(pages[0])
    results = []
    for page in pages:
        error = None
        start = time.perf_counter()
        try:
            out = extractor.fn(page)
        except Exception as exc:  # a crash is a result too
            out = Output("", error=f"{type(exc).__name__}: {exc}")
            if os.environ.get("ITP6_BENCH_TRACEBACK"):
                traceback.print_exc()
        ms = (time.perf_counter() - start) * 1000
        error = out.error
        if page.must or page.must_not:
            score = snippet_score(out.text, page.must, page.must_not)
            p = r = f1 = 0.0
            snippets = {
                "found": score.found,
                "must": score.must_total,
                "absent": score.absent,
                "must_not": score.must_not_total,
                "missing": score.missing,
                "leaked": score.leaked,
            }
        else:
            p, r, f1 = token_prf(out.text, page.reference)
            snippets = None
        result = PageResult(page.id, p, r, f1, ms, error=error, snippets=snippets)
        if check_leaks:
            result.leaks, result.notice = find_leaks(out.text, page.reference)
        if out.article is not None:
            result.path = getattr(out.article, "extractor", None)
            if metadata is not None and page.gold is not None:
                for name, expected, got in metadata_pairs(page.gold, out.article):
                    compared[name] += 1
                    if _empty_is_none(_norm(expected)) != _empty_is_none(_norm(got)):
                        metadata[name] += 1
                        examples.setdefault(name, f"{page.id}: gold {_short(expected)} / ours {_short(got)}")
        elif metadata is not None and page.gold is not None and error:
            metadata["(page failed)"] += 1
        results.append(result)
    return results


def summarise(results: list[PageResult]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "pages": len(results),
        "precision": mean(r.precision for r in results),
        "recall": mean(r.recall for r in results),
        "f1": mean(r.f1 for r in results),
        "ms_per_page": mean(r.ms for r in results),
        "ms_median": statistics.median(r.ms for r in results) if results else 0.0,
        "errors": sum(1 for r in results if r.error),
        "leak_pages": sum(1 for r in results if r.leaks),
        "leak_markers": sum(len(r.leaks) for r in results),
        "notice_leak_pages": sum(1 for r in results if r.notice),
        "notice_leaks": sum(len(r.notice) for r in results),
        "leak_counts": dict(Counter(m for r in results for m in r.leaks).most_common()),
    }
    paths = Counter(r.path for r in results if r.path)
    if paths:
        summary["paths"] = dict(paths)
    if any(r.snippets for r in results):
        summary["snippets"] = {
            key: sum(r.snippets[key] for r in results if r.snippets) for key in ("found", "must", "absent", "must_not")
        }
    first_error = next((r for r in results if r.error), None)
    if first_error:
        summary["first_error"] = f"{first_error.id}: {first_error.error}"
    summary["per_page"] = [
        {
            "id": r.id,
            "p": round(r.precision, 4),
            "r": round(r.recall, 4),
            "f1": round(r.f1, 4),
            "ms": round(r.ms, 2),
            **({"leaks": r.leaks} if r.leaks else {}),
            **({"notice": r.notice} if r.notice else {}),
            **({"path": r.path} if r.path else {}),
            **({"error": r.error} if r.error else {}),
            **({"snippets": r.snippets} if r.snippets else {}),
        }
        for r in results
    ]
    return summary


def print_table(title: str, figures: dict[str, dict[str, Any]], *, leaks: bool, snippets: bool = False) -> None:
    print(f"\n{title}")
    if snippets:
        header = f"  {'extractor':<12} {'must found':>11} {'must-not absent':>16} {'ms/page':>8}  errors"
        print(header)
        print("  " + "-" * (len(header) - 2))
        for name, fig in figures.items():
            s = fig["snippets"]
            print(
                f"  {name:<12} {s['found']:>5} / {s['must']:<3} {s['absent']:>9} / {s['must_not']:<4} "
                f"{fig['ms_per_page']:>8.1f}  {fig['errors']}"
            )
        return
    header = f"  {'extractor':<12} {'P':>6} {'R':>6} {'F1':>6} {'ms/page':>8} {'median':>7}"
    if leaks:
        header += f" {'leak pages':>10} {'markers':>8} {'notice pages':>12} {'notice':>7}"
    header += "  errors  path"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, fig in figures.items():
        row = (
            f"  {name:<12} {fig['precision']:>6.3f} {fig['recall']:>6.3f} {fig['f1']:>6.3f}"
            f" {fig['ms_per_page']:>8.1f} {fig['ms_median']:>7.1f}"
        )
        if leaks:
            row += (
                f" {fig['leak_pages']:>10} {fig['leak_markers']:>8} {fig['notice_leak_pages']:>12}"
                f" {fig['notice_leaks']:>7}"
            )
        paths = ", ".join(f"{k} {v}" for k, v in sorted(fig.get("paths", {}).items()))
        row += f"  {fig['errors']:>6}  {paths}"
        print(row)


def print_details(figures: dict[str, dict[str, Any]], *, worst: int, leaks: bool) -> None:
    ours = figures.get("ours")
    if not ours:
        return
    if ours.get("first_error"):
        print(f"  ours first error: {ours['first_error']}")
    if leaks and ours["leak_counts"]:
        print("  ours leak markers: " + ", ".join(f"{m} x{n}" for m, n in ours["leak_counts"].items()))
    if worst and "snippets" not in ours:
        rows = sorted((r for r in ours["per_page"] if r["f1"] < 1.0), key=lambda r: r["f1"])[:worst]
        others = {name: {r["id"]: r["f1"] for r in fig["per_page"]} for name, fig in figures.items() if name != "ours"}
        if not rows:
            print("  ours: every page at F1 1.0")
            return
        print(
            f"  ours worst {len(rows)} (F1, others in brackets): "
            + "; ".join(
                f"{r['id'][:16]} {r['f1']:.3f}"
                + "".join(f" ({n[:4]} {o.get(r['id'], 0):.3f})" for n, o in others.items())
                for r in rows
            )
        )


def run_set(
    name: str,
    title: str,
    pages: list[Page],
    extractors: list[Extractor],
    *,
    leaks: bool,
    metadata_for_ours: bool = False,
    worst: int = 5,
    snippets: bool = False,
) -> dict[str, Any]:
    figures: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {"title": title, "pages": len(pages)}
    if leaks:
        from itp6crawl.extract.boilerplate import leaks as leak_markers

        ref_leaks = [p.id for p in pages if p.reference and leak_markers(p.reference)]
    else:
        ref_leaks = []
    if ref_leaks:
        result["reference_quotes_markers"] = ref_leaks
    for extractor in extractors:
        started = time.perf_counter()
        mismatches: Counter[str] | None = None
        examples: dict[str, str] = {}
        compared: Counter[str] = Counter()
        if metadata_for_ours and extractor.name == "ours" and not extractor.note.startswith("STAND-IN"):
            mismatches = Counter()
        page_results = run_extractor(
            extractor, pages, check_leaks=leaks, metadata=mismatches, examples=examples, compared=compared
        )
        figures[extractor.name] = summarise(page_results)
        figures[extractor.name]["seconds"] = round(time.perf_counter() - started, 2)
        if mismatches is not None:
            result["metadata"] = {
                "compared": {f: compared[f] for f in (*METADATA_FIELDS, *EXTRA_FIELDS) if compared[f]},
                "mismatches": {
                    f: mismatches[f] for f in (*METADATA_FIELDS, "(page failed)") if compared[f] or mismatches[f]
                },
                "extra_mismatches": {f: mismatches[f] for f in EXTRA_FIELDS if compared[f]},
                "not_in_gold": [f for f in METADATA_FIELDS if not compared[f]],
                "examples": examples,
            }
    result["extractors"] = figures
    print_table(f"{title}: {len(pages)} pages", figures, leaks=leaks, snippets=snippets)
    if ref_leaks:
        print(
            f"  note: {len(ref_leaks)} gold bodies quote a leak marker themselves (e.g. {', '.join(ref_leaks[:4])});"
            " a marker counts as a leak only beyond the gold's own count"
        )
    print_details(figures, worst=worst, leaks=leaks)
    if "metadata" in result:
        meta = result["metadata"]
        total = sum(meta["mismatches"].values())
        print(f"  ours metadata mismatches vs gold (target 0 each): total {total}")
        extras = {f"{name} (extra)": count for name, count in meta["extra_mismatches"].items()}
        for field_name, count in {**meta["mismatches"], **extras}.items():
            name = field_name.removesuffix(" (extra)")
            example = meta["examples"].get(name, "")
            checked = meta["compared"].get(name, 0)
            print(f"    {field_name:<22} {count:>5} / {checked:<5} {example}")
        print("    (extra) = informational, outside the 0-mismatch target")
        if meta["not_in_gold"]:
            print(f"    not in gold (unchecked): {', '.join(meta['not_in_gold'])}")
    return result


# --------------------------------------------------------------------------- targets


def targets(sets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    def ours(set_name: str) -> dict[str, Any] | None:
        return sets.get(set_name, {}).get("extractors", {}).get("ours")

    def other(set_name: str, name: str) -> dict[str, Any] | None:
        return sets.get(set_name, {}).get("extractors", {}).get(name)

    def failed(fig: dict[str, Any]) -> str:  # a page that raised leaks nothing: say so
        return f" (but {fig['errors']} pages raised)" if fig["errors"] else ""

    rows: list[dict[str, Any]] = []

    def add(label: str, ok: bool | None, value: str) -> None:
        rows.append({"target": label, "status": "SKIP" if ok is None else ("PASS" if ok else "MISS"), "value": value})

    rep, ren, zh = ours("replica"), ours("renamed"), ours("zh")
    add(
        f"replica: ours F1 >= {TARGET_REPLICA_F1}",
        None if rep is None else rep["f1"] >= TARGET_REPLICA_F1,
        f"{rep['f1']:.4f}" if rep else "-",
    )
    add(
        "replica: 0 leak markers in ours",
        None if rep is None else rep["leak_markers"] == 0 and not rep["errors"],
        f"{rep['leak_markers']} on {rep['leak_pages']} pages{failed(rep)}" if rep else "-",
    )
    meta = sets.get("replica", {}).get("metadata")
    add(
        "replica: 0 metadata mismatches (ours)",
        None if meta is None else sum(meta["mismatches"].values()) == 0,
        str(sum(meta["mismatches"].values())) if meta else "-",
    )
    add(
        f"renamed: ours F1 >= {TARGET_RENAMED_F1}",
        None if ren is None else ren["f1"] >= TARGET_RENAMED_F1,
        f"{ren['f1']:.4f}" if ren else "-",
    )
    add(
        "renamed: 0 notice leaks in ours",
        None if ren is None else ren["notice_leaks"] == 0 and not ren["errors"],
        f"{ren['notice_leaks']} on {ren['notice_leak_pages']} pages{failed(ren)}" if ren else "-",
    )
    traf = other("zh", "trafilatura")
    add(
        "zh: ours F1 >= trafilatura",
        None if zh is None or traf is None else zh["f1"] >= traf["f1"],
        f"{zh['f1']:.4f} vs {traf['f1']:.4f}" if zh and traf else "-",
    )
    traf_rep = other("replica", "trafilatura")
    add(
        "replica: ours ms/page < trafilatura",
        None if rep is None or traf_rep is None else rep["ms_per_page"] < traf_rep["ms_per_page"],
        f"{rep['ms_per_page']:.1f} vs {traf_rep['ms_per_page']:.1f}" if rep and traf_rep else "-",
    )
    return rows


# --------------------------------------------------------------------------- main


def default_shared() -> Path:
    env = os.environ.get("ITP6_SHARED")
    return Path(env) if env else (ROOT / ".." / "shared").resolve()


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per set")
    parser.add_argument("--articles", type=int, default=300, help="replica articles to build (default 300)")
    parser.add_argument(
        "--shared",
        type=Path,
        default=None,
        help="shared data folder (default $ITP6_SHARED, else ../shared beside the repo)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every figure, per page too, to this file")
    parser.add_argument("--english", action="store_true", help="also run the scrapinghub (English) set")
    parser.add_argument("--only", default=None, help="comma list of sets: replica,renamed,zh,snippets,english")
    parser.add_argument("--worst", type=int, default=5, help="list ours' N worst pages per set (default 5)")
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="development only: if ours is missing, time trafilatura (default settings) in its place",
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    shared = (args.shared or default_shared()).resolve()
    wanted = {"replica", "renamed", "zh", "snippets"} | ({"english"} if args.english else set())
    if args.only:
        wanted = {s.strip() for s in args.only.split(",") if s.strip()}

    ours, why = ours_extractor()
    if ours is None:
        if args.stand_in:
            ours = stand_in_extractor()
        print(f"! ours: {why}" + ("; using the development stand-in" if args.stand_in else "; ours column left out"))
    extractors = [e for e in (ours, trafilatura_extractor(), readability_extractor()) if e is not None]

    print("extraction-quality benchmark")
    print(f"  shared data : {shared}")
    print(f"  python      : {platform.python_version()} on {platform.machine()}")
    for extractor in extractors:
        print(f"  {extractor.name:<12}: {extractor.note}")
    print(
        "  metric      : token bag P/R/F1 (NFKC, lowercase, CJK chars as tokens, punctuation ignored), "
        "macro average over pages; ms/page = extractor call only"
    )

    report: dict[str, Any] = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "shared": str(shared),
        "extractors": {e.name: e.note for e in extractors},
        "sets": {},
        "skipped": {},
    }
    sets: dict[str, dict[str, Any]] = report["sets"]
    started = time.perf_counter()

    def limited(pages: list[Page]) -> list[Page]:
        return pages[: args.limit] if args.limit else pages

    def load(name: str, loader: Callable[[], list[Page]]) -> list[Page] | None:
        try:
            return limited(loader())
        except (ImportError, FileNotFoundError) as error:
            report["skipped"][name] = f"{type(error).__name__}: {error}"
            print(f"\n({name}) skipped: {type(error).__name__}: {error}")
            return None

    # name: (title, loader, options for run_set)
    set_specs: dict[str, tuple[str, Callable[[], list[Page]], dict[str, Any]]] = {
        "replica": (
            "(a) replica gold pages, JustNews markup",
            lambda: replica_pages(args.articles, renamed=False),
            {"leaks": True, "metadata_for_ours": True, "worst": args.worst},
        ),
        "renamed": (
            "(b) replica pages, theme classes renamed (fallback path)",
            lambda: replica_pages(args.articles, renamed=True),
            {"leaks": True, "worst": args.worst},
        ),
        "zh": (
            "(c) zh-web-content-extraction (README anchors: trafilatura 0.876, readability 0.899)",
            lambda: zh_pages(shared),
            {"leaks": False, "worst": args.worst},
        ),
        "snippets": (
            "(d) trafilatura-eval-zh must / must-not snippets",
            lambda: snippet_pages(shared),
            {"leaks": False, "snippets": True, "worst": 0},
        ),
        "english": (
            "(e) scrapinghub article-extraction-benchmark (token F1; README sh4 anchors are a different metric)",
            lambda: english_pages(shared),
            {"leaks": False, "worst": args.worst},
        ),
    }
    for name, (title, loader, options) in set_specs.items():
        if name not in wanted:
            continue
        pages = load(name, loader)
        if pages is not None:
            sets[name] = run_set(name, title, pages, extractors, **options)
    for name, fig in sets.get("snippets", {}).get("extractors", {}).items():
        for row in fig["per_page"]:
            if row["snippets"]["missing"] or row["snippets"]["leaked"]:
                missing, leaked = row["snippets"]["missing"], row["snippets"]["leaked"]
                print(f"    {name:<12} {row['id'][:24]}: missing {missing} leaked {leaked}")

    report["targets"] = targets(sets)
    print("\ntargets")
    for row in report["targets"]:
        print(f"  {row['status']:<4}  {row['target']:<42} {row['value']}")
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{report['seconds']} s in all")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
