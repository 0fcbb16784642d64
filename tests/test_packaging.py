"""The package installs as the README says, with the pip a fresh virtual environment brings."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from collections import defaultdict
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return [Requirement(r) for r in (*project["dependencies"], *extras)]


def test_no_project_is_declared_twice_nor_an_extra_spelled_twice():
    """pip before 23.3 merges the extras of one project as written: ``lxml[html-clean]`` beside
    ``lxml[html_clean]`` became ``lxml[html-clean,html-clean]`` and ended in ResolutionImpossible."""
    seen: dict[str, Requirement] = {}
    for requirement in (Requirement(r) for r in PYPROJECT["project"]["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name not in seen, f"{requirement} and {seen[name]}"
        seen[name] = requirement
    for requirement in declared():
        spellings = [extra for extra in requirement.extras]
        assert len({canonicalize_name(e) for e in spellings}) == len(spellings), requirement


def dependency_closure() -> dict[str, list[Requirement]]:
    """Every requirement of the installed dependency tree of itp6crawl (without optional extras)."""
    found: dict[str, list[Requirement]] = defaultdict(list)
    todo, done = ["itp6crawl"], set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in done:
            continue
        done.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            found[canonicalize_name(requirement.name)].append(requirement)
            todo.append(requirement.name)
    return found


def extras_spelled_two_ways() -> dict[str, set[str]]:
    spelled: dict[str, set[str]] = {}
    for name, requirements in dependency_closure().items():
        extras = {extra for requirement in requirements for extra in requirement.extras}
        if len(extras) > len({canonicalize_name(extra) for extra in extras}):
            spelled[name] = extras
    return spelled


def test_the_root_asks_for_lxml_html_clean_in_the_spelling_the_old_resolver_survives():
    """readability-lxml 0.9 asks for ``lxml[html-clean]`` and jusText (trafilatura's) for ``lxml[html_clean]``.
    The pip of a new Python 3.11 venv (23.2.1) crashed on that (``AssertionError: … lxml[html-clean,html-clean]
    vs lxml[html-clean]``) unless the root asks for ``lxml[html_clean]`` itself; it then resolves, but drops
    the extra, so ``lxml-html-clean`` is asked for by name (checked by hand in a fresh venv: ``pip install -e .``
    exit 0, ``pip check`` clean, extraction imports). The README's route is plain ``pip install -e .``."""
    dependencies = {canonicalize_name(r.name): r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
    assert dependencies["lxml"].extras == {"html_clean"}
    for name, extras in extras_spelled_two_ways().items():  # any other such pair in the tree: the same cure
        assert name in dependencies and dependencies[name].extras & extras, (name, extras)
    assert "lxml-html-clean" in dependencies
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"`pip install -e \.`", readme)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --upgrade pip" in makefile


def test_the_project_names_its_homepage():
    urls = PYPROJECT["project"].get("urls", {})
    assert urls.get("Homepage", "").startswith("https://")
