"""Per-page scores (token F1 or snippets, boilerplate leaks, ms) and the figures of every extractor on a set.

The token metric itself is ``itp6crawl.extraction_metrics``; this module applies it and adds what the benchmark
counts.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itp6crawl.extraction_metrics import mean, snippet_score, token_prf

from .corpus import Page
from .extractors import Extractor, Output
from .metadata import MetadataTally

# Leak markers that belong to the theme's entry-copyright notice (the rest are buttons, widgets, footer).
NOTICE_MARKERS = ("文章属于病友个人治疗见解", "不能替代执业医师当面诊断", "文章版权归作者所有", "未经允许请勿转载")


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
    metadata: MetadataTally | None = None,
) -> list[PageResult]:
    """One result per page; ``metadata``, when given, tallies our Article against each page's gold."""
    if pages:  # warm-up, untimed: lazy imports and caches inside the extractor
        with contextlib.suppress(Exception):  # a failure shows on the timed call below
            extractor.fn(pages[0])
    results = []
    for page in pages:
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
                metadata.check(page.id, page.gold, out.article)
        elif metadata is not None and page.gold is not None and error:
            metadata.page_failed()
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


def measure_set(
    title: str, pages: list[Page], extractors: list[Extractor], *, leaks: bool, metadata_for_ours: bool = False
) -> dict[str, Any]:
    """Every extractor over one set: its figures, and for ours on the replica the metadata check."""
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
        metadata: MetadataTally | None = None
        if metadata_for_ours and extractor.name == "ours" and not extractor.note.startswith("STAND-IN"):
            metadata = MetadataTally()
        page_results = run_extractor(extractor, pages, check_leaks=leaks, metadata=metadata)
        figures[extractor.name] = summarise(page_results)
        figures[extractor.name]["seconds"] = round(time.perf_counter() - started, 2)
        if metadata is not None:
            result["metadata"] = metadata.report()
    result["extractors"] = figures
    return result
