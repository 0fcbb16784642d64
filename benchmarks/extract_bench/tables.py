"""One set's comparison, ours beside the other extractors: the table, our worst pages, the metadata check."""

from __future__ import annotations

from typing import Any

from .corpus import Page
from .extractors import Extractor
from .metrics import measure_set


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


def print_metadata(meta: dict[str, Any]) -> None:
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


def print_set(result: dict[str, Any], *, leaks: bool, worst: int, snippets: bool) -> None:
    figures = result["extractors"]
    print_table(f"{result['title']}: {result['pages']} pages", figures, leaks=leaks, snippets=snippets)
    ref_leaks = result.get("reference_quotes_markers", [])
    if ref_leaks:
        print(
            f"  note: {len(ref_leaks)} gold bodies quote a leak marker themselves (e.g. {', '.join(ref_leaks[:4])});"
            " a marker counts as a leak only beyond the gold's own count"
        )
    print_details(figures, worst=worst, leaks=leaks)
    if "metadata" in result:
        print_metadata(result["metadata"])


def run_set(
    title: str,
    pages: list[Page],
    extractors: list[Extractor],
    *,
    leaks: bool,
    metadata_for_ours: bool = False,
    worst: int = 5,
    snippets: bool = False,
) -> dict[str, Any]:
    """Measure one set, print its comparison, return its figures for the report."""
    result = measure_set(title, pages, extractors, leaks=leaks, metadata_for_ours=metadata_for_ours)
    print_set(result, leaks=leaks, worst=worst, snippets=snippets)
    return result


def print_snippet_misses(snippet_set: dict[str, Any]) -> None:
    """Set (d), page by page: each extractor's missing must-snippets and leaked must-not snippets."""
    for name, fig in snippet_set.get("extractors", {}).items():
        for row in fig["per_page"]:
            if row["snippets"]["missing"] or row["snippets"]["leaked"]:
                missing, leaked = row["snippets"]["missing"], row["snippets"]["leaked"]
                print(f"    {name:<12} {row['id'][:24]}: missing {missing} leaked {leaked}")
