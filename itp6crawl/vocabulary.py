"""The bilingual ITP vocabulary (``itp6crawl/data/vocabulary.toml``): concepts and all their names.

A patient writes 艾曲泊帕, another Revolade, a third eltrombopag; the vocabulary says they are one concept, so
the search can later expand a query to all of them (issue 11). This module only loads and checks the file;
Standard library only (tomllib), so anything may import it cheaply.

Terms are compared by :func:`term_key`: NFKC, whitespace collapsed to one space and stripped, casefolded.
Latin terms thus match case-insensitively (``ITP`` == ``itp``, ``Revolade`` == ``revolade``) while Chinese
terms match exactly (casefolding leaves Han characters alone). Hyphens and other punctuation are kept:
``TPO-RA`` and ``tpo ra`` are different keys, as ``anti-D`` is not ``anti D``; a term that is commonly
written both ways lists both spellings.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .cache import cache_folder, write_whole

KINDS = frozenset({"drug", "procedure", "test", "condition", "lay"})
TERM_KEYS = ("zh", "en", "brands", "abbr", "lay")  # the lists of names, in the order Concept.terms gives them
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def term_key(term: str) -> str:
    """The form terms are compared in: case-insensitive for Latin, exact for Chinese, hyphens kept."""
    return " ".join(unicodedata.normalize("NFKC", term).split()).casefold()


@dataclass(frozen=True)
class Concept:
    """One thing with all its names, as one ``[[concept]]`` table of the file."""

    id: str
    kind: str
    zh: tuple[str, ...]
    en: tuple[str, ...]
    brands: tuple[str, ...] = ()
    abbr: tuple[str, ...] = ()
    lay: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """Every name, the preferred Chinese first and the English next, so ``terms[0]`` can label it."""
        return (*self.zh, *self.en, *self.brands, *self.abbr, *self.lay)


class Vocabulary:
    """The concepts of the file, each term looked up in one dictionary."""

    def __init__(self, concepts: tuple[Concept, ...]) -> None:
        self.concepts = concepts
        self._by_term: dict[str, Concept] = {}
        for concept in concepts:
            for term in concept.terms:
                key = term_key(term)
                other = self._by_term.get(key)
                if other is not None:
                    # Two concepts sharing a name would make the search expand one into the other.
                    where = "listed twice" if other is concept else f"also in concept {other.id!r}"
                    raise ValueError(f"concept {concept.id!r}: term {term!r} is {where}")
                self._by_term[key] = concept

    def concept_of(self, term: str) -> Concept | None:
        """The concept that names ``term`` (compared by :func:`term_key`), or None."""
        return self._by_term.get(term_key(term))

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)


def _package_files() -> Traversable:
    """The files of the package this module was loaded from, found through its own loader.

    As :func:`itp6crawl.text.package_files` (whose docstring says why not ``resources.files("itp6crawl")``),
    repeated rather than imported so that this module stays free of text.py's dependencies (opencc)."""
    spec = __spec__
    get_reader = getattr(spec.loader, "get_resource_reader", None)
    reader = get_reader(spec.name) if get_reader is not None else None
    if reader is not None and hasattr(reader, "files"):
        return reader.files()
    return resources.files(spec.parent)


VOCABULARY_FILE = _package_files() / "data" / "vocabulary.toml"


def _tuple(value: Any) -> Any:
    """A list read back from JSON as the tuple a Concept holds; anything else as it is."""
    return tuple(value) if isinstance(value, list) else value


def _names(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """One list of names of a table, checked: a typo in the data file should fail loudly, not match nothing."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of non-empty strings, not {value!r}")
    return tuple(v.strip() for v in value)


def _concept(table: Any, index: int) -> Concept:
    """A checked Concept from one ``[[concept]]`` table; the error names the concept and the key."""
    if not isinstance(table, dict):
        raise ValueError(f"concept #{index}: must be a table, not {table!r}")
    cid = table.get("id")
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        raise ValueError(f"concept #{index}: 'id' must be an ASCII slug (a-z, 0-9, hyphens), not {cid!r}")
    where = f"concept {cid!r}"
    unknown = set(table) - {"id", "kind", *TERM_KEYS}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    kind = table.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: 'kind' must be one of {sorted(KINDS)}, not {kind!r}")
    names = {key: _names(table, key, where) for key in TERM_KEYS}
    for key in ("zh", "en"):
        if not names[key]:
            raise ValueError(f"{where}: {key!r} is empty; every concept needs a Chinese and an English name")
    return Concept(id=cid, kind=kind, **names)


def parse_vocabulary(text: str) -> Vocabulary:
    """The Vocabulary of a TOML text; ValueError names the malformed concept and key."""
    import tomllib  # here: a query's cold start reads the prebuilt form, never the TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"vocabulary is not valid TOML: {error}") from error
    tables = data.get("concept")
    if not isinstance(tables, list):
        raise ValueError("vocabulary has no [[concept]] array")
    concepts = tuple(_concept(table, index) for index, table in enumerate(tables, 1))
    seen: dict[str, int] = {}
    for index, concept in enumerate(concepts, 1):
        if concept.id in seen:
            raise ValueError(f"concept {concept.id!r}: id repeats concept #{seen[concept.id]} (#{index})")
        seen[concept.id] = index
    return Vocabulary(concepts)


@cache
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """The vocabulary in ``path``, by default the one shipped in the package; read once per path.

    The packaged one is read from its prebuilt form in the user's cache when there is one (JSON: 1 ms,
    where parsing the TOML takes 30 ms of every query's cold start), written on first use."""
    if path is not None:
        return parse_vocabulary(path.read_text(encoding="utf-8"))
    text = VOCABULARY_FILE.read_text(encoding="utf-8")
    prebuilt = cache_folder() / f"vocabulary-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    try:
        tables = json.loads(prebuilt.read_bytes())
        return Vocabulary(tuple(Concept(**{key: _tuple(value) for key, value in table.items()}) for table in tables))
    except (OSError, ValueError, TypeError):
        pass  # not built yet (or unreadable): parse and build it
    vocabulary = parse_vocabulary(text)
    with suppress(OSError):  # no writable cache: parsed again next time
        write_whole(prebuilt, json.dumps([asdict(concept) for concept in vocabulary], ensure_ascii=False).encode())
    return vocabulary
