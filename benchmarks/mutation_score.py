"""The mutation score of ``make mutation``: killed/total per target, then the survivors by name.

Reads mutmut's result files (``mutants/<source>.py.meta``) after ``mutmut run``. A mutant counts as
killed when a test failed (or it timed out: the tests noticed it never ends); survivors and mutants no
test reaches ("no tests") count against the score. Mutants not run yet (a partial run) are left out and
counted apart. Exits 1 when a full run leaves any target at or below the target score.

Survivors that only change the letter case of a string literal are counted apart as well (and still
count against the score): in ``store/`` these are SQL keywords and table or column names, which SQLite
reads without regard to case, so no test can tell them from the original (equivalent mutants).

    python benchmarks/mutation_score.py [--target 85] [--files] [--mutants DIR]
"""

from __future__ import annotations

import argparse
import ast
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


class _LowerStrings(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant(node.value.lower()) if isinstance(node.value, str) else node


def _folded_functions(path: Path) -> dict[str, str]:
    """Each function of a mutated file (the originals and their mutants), by name, as a dump of its
    tree with the name blanked and every string literal in lower case."""
    dumps = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            copy = ast.parse(ast.unparse(node)).body[0]
            copy.name = "F"  # type: ignore[attr-defined]
            dumps[node.name] = ast.dump(_LowerStrings().visit(copy))
    return dumps


def case_only(mutants: Path, names: list[str]) -> set[str]:
    """The mutants among ``names`` whose only change is the letter case of string literals."""
    files: dict[Path, dict[str, str]] = {}
    found = set()
    for name in names:
        module, function = name.rsplit(".", 1)
        path = mutants / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = mutants / module.replace(".", "/") / "__init__.py"
        if path not in files:
            files[path] = _folded_functions(path) if path.exists() else {}
        dumps = files[path]
        original = function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
        if function in dumps and dumps[function] == dumps.get(original):
            found.add(name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=85.0, help="per cent of mutants to kill (default 85)")
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--files", action="store_true", help="a line for each file of the package targets too")
    args = parser.parse_args()
    if not args.mutants.is_dir():
        print(f"no {args.mutants}/: run `make mutation` first", file=sys.stderr)
        return 2
    by_target = {label: results(args.mutants, source) for label, source in TARGETS.items()}
    total: Counter[str] = Counter()
    scores: dict[str, float] = {}
    print(f"{'target':<17}{'killed':>8}{'checked':>9}{'score':>8}{'case-only':>11}   other")
    for label, statuses in by_target.items():
        counts = Counter(statuses.values())
        survivors = [name for name, status in statuses.items() if status in MISSED]
        counts["case-only"] = len(case_only(args.mutants, survivors))
        total.update(counts)
        print(_line(label, counts))
        if args.files and not TARGETS[label].endswith(".py"):
            for path, file_statuses in _by_file(statuses).items():
                print(_line(f"  {path}", Counter(file_statuses)))
        score = _score(counts)
        if score is not None:
            scores[label] = score
    print(_line("all", total))
    survivors = [name for statuses in by_target.values() for name, status in statuses.items() if status in MISSED]
    if survivors:
        print(f"\n{len(survivors)} surviving mutants (`.venv/bin/mutmut show NAME` shows one):")
        for name in survivors:
            print(f"  {name}")
    print(
        "\ncase-only: survivors that change only the letter case of a string literal (equivalent where the"
        "\nstring is SQL: SQLite reads keywords and names without regard to case); they count as survivors."
    )
    if total["not checked"] or not scores:
        print(f"\npartial run ({total['not checked']} mutants not run): no verdict against {args.target:g}%")
        return 0
    missed = [label for label, score in scores.items() if score <= args.target]
    print(f"\ntarget above {args.target:g}% for each: " + ("met" if not missed else "missed by " + ", ".join(missed)))
    return 1 if missed else 0


def _by_file(statuses: dict[str, str]) -> dict[str, list[str]]:
    """The statuses grouped by the file a mutant is in (``links.py`` for ``itp6crawl.extract.links.x_f__mutmut_1``;
    a mutant of a package's ``__init__`` is named after the package itself)."""
    packages = {Path(source).name for source in TARGETS.values() if not source.endswith(".py")}
    files: dict[str, list[str]] = {}
    for name, status in sorted(statuses.items()):
        module = name.rsplit(".", 2)[-2]
        files.setdefault("__init__.py" if module in packages else f"{module}.py", []).append(status)
    return files


def _checked(counts: Counter[str]) -> int:
    return sum(n for status, n in counts.items() if status not in ("not checked", "case-only"))


def _score(counts: Counter[str]) -> float | None:
    """Per cent of the checked mutants detected; None when none was checked."""
    checked = _checked(counts)
    return 100 * sum(counts[s] for s in DETECTED) / checked if checked else None


def _line(label: str, counts: Counter[str]) -> str:
    killed = sum(counts[s] for s in DETECTED)
    checked = _checked(counts)
    percent = _score(counts)
    score = f"{percent:.1f}%" if percent is not None else "-"
    other = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in ("killed", "case-only") and n)
    return f"{label:<17}{killed:>8}{checked:>9}{score:>8}{counts['case-only']:>11}   {other}"


if __name__ == "__main__":
    sys.exit(main())
