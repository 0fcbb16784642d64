"""The mutation score of ``make mutation``: killed/total per target, then the survivors by name.

Reads mutmut's result files (``mutants/<source>.py.meta``) after ``mutmut run``. A mutant counts as
killed when a test failed (or it timed out: the tests noticed it never ends); survivors and mutants no
test reaches ("no tests") count against the score. Mutants not run yet (a partial run) are left out and
counted apart. Exits 1 when a full run scores at or below the target.

    python benchmarks/mutation_score.py [--target 85]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

TARGETS = {  # what ``[tool.mutmut] only_mutate`` mutates, one line each
    "extract/": "itp6crawl/extract",
    "store/": "itp6crawl/store",
    "search.py": "itp6crawl/search.py",
    "text.py": "itp6crawl/text.py",
    "spiders/": "itp6crawl/spiders",
}
DETECTED = {"killed", "timeout", "caught by type check"}
MISSED = {"survived", "no tests"}


def results(mutants: Path, source: str) -> dict[str, str]:
    """Mutant name -> status for every mutated file under ``source``."""
    statuses: dict[str, str] = {}
    root = mutants / source
    metas = [root.with_name(root.name + ".meta")] if source.endswith(".py") else sorted(root.rglob("*.py.meta"))
    for meta in metas:
        if meta.exists():
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            statuses.update({name: status_by_exit_code[code] for name, code in codes.items()})
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=85.0, help="per cent of mutants to kill (default 85)")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    args = parser.parse_args()
    if not args.mutants.is_dir():
        print(f"no {args.mutants}/: run `make mutation` first", file=sys.stderr)
        return 2
    by_target = {label: results(args.mutants, source) for label, source in TARGETS.items()}
    total = Counter()
    print(f"{'target':<11}{'killed':>8}{'checked':>9}{'score':>8}   other")
    for label, statuses in by_target.items():
        counts = Counter(statuses.values())
        total.update(counts)
        print(_line(label, counts))
    print(_line("all", total))
    survivors = [name for statuses in by_target.values() for name, status in statuses.items() if status in MISSED]
    if survivors:
        print(f"\n{len(survivors)} surviving mutants (`.venv/bin/mutmut show NAME` shows one):")
        for name in survivors:
            print(f"  {name}")
    checked = sum(total.values()) - total["not checked"]
    score = 100 * sum(total[s] for s in DETECTED) / checked if checked else 0.0
    if total["not checked"] or not checked:
        print(f"\npartial run ({total['not checked']} mutants not run): no verdict against {args.target:g}%")
        return 0
    print(f"\nmutation score {score:.1f}% (target above {args.target:g}%)")
    return 0 if score > args.target else 1


def _line(label: str, counts: Counter[str]) -> str:
    killed = sum(counts[s] for s in DETECTED)
    checked = sum(counts.values()) - counts["not checked"]
    score = f"{100 * killed / checked:.1f}%" if checked else "-"
    other = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in ("killed",) and n)
    return f"{label:<11}{killed:>8}{checked:>9}{score:>8}   {other}"


if __name__ == "__main__":
    sys.exit(main())
