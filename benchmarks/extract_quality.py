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
This file is the command line; the benchmark itself is the ``extract_bench`` package beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing the package

from benchmarks.extract_bench.corpus import Page, english_pages, replica_pages, snippet_pages, zh_pages
from benchmarks.extract_bench.extractors import (
    ours_extractor,
    readability_extractor,
    stand_in_extractor,
    trafilatura_extractor,
)
from benchmarks.extract_bench.tables import print_snippet_misses, run_set
from benchmarks.extract_bench.targets import print_targets, targets

ROOT = Path(__file__).resolve().parents[1]


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
            sets[name] = run_set(title, pages, extractors, **options)
    print_snippet_misses(sets.get("snippets", {}))

    report["targets"] = targets(sets)
    print_targets(report["targets"])
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{report['seconds']} s in all")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
