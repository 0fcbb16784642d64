"""The judged relevance set (benchmarks/search_queries.json): well formed, of the known kinds, every rule true
of articles the replica really contains, and every vocabulary-based query spelled as the vocabulary spells it."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from itp6crawl.replica import build_site
from itp6crawl.vocabulary import Concept, load_vocabulary, term_key

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # the bench's own judge, so this checks what the bench will count

from search_bench import fold, gold_texts, judge  # noqa: E402

QUERIES_FILE = BENCHMARKS / "search_queries.json"
KINDS = (
    "word",
    "nospace",
    "traditional",
    "english",
    "brand",
    "abbr",
    "lay",
    "oldname",
    "pinyin-typo",
    "english-typo",
    "mixed",
    "phrase",
    "or",
    "exclude",
    "title",
)
KIND_FIELD = {"english": "en", "brand": "brands", "abbr": "abbr"}  # the list of names such a query must be in
REL_ARTICLES, SEED = 2000, 0  # as search_bench.py --rel-articles and --seed default
QUERY_SYNTAX = {"OR", "NOT", "AND"}


def load_queries() -> list[dict[str, Any]]:
    return json.loads(QUERIES_FILE.read_text(encoding="utf-8"))["queries"]


QUERIES = load_queries()
CONCEPT_QUERIES = [q for q in QUERIES if "concept" in q]


@pytest.fixture(scope="module")
def texts() -> dict[int, dict[str, str]]:
    return gold_texts(build_site(REL_ARTICLES, seed=SEED))


def spelling(term: str) -> str:
    """A name compared without its spaces: the replica writes 新诊断 ITP where the vocabulary has 新诊断ITP."""
    return term_key(term).replace(" ", "")


def concept_of(query: dict[str, Any]) -> Concept:
    concept = next((c for c in load_vocabulary() if c.id == query["concept"]), None)
    assert concept is not None, f"{query['query']!r}: no concept {query['concept']!r} in the vocabulary"
    return concept


def query_words(query: str) -> list[str]:
    """The words a query searches, its syntax taken off (field prefix, exclusion, quotes, brackets, OR)."""
    words = []
    for word in query.split():
        word = word.removeprefix("title:").lstrip("-").strip('"()')
        if word and word not in QUERY_SYNTAX:
            words.append(word)
    return words


def named_terms(query: str) -> set[str]:
    """Every run of consecutive words of the query, as term keys: a name may be one word or several."""
    words = query_words(query)
    return {term_key(" ".join(words[i:j])) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def test_the_file_is_json_with_an_about_text_and_at_least_99_queries():
    data = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    assert set(data) == {"about", "queries"}
    assert "kind" in data["about"] and "concept" in data["about"]
    assert len(data["queries"]) >= 99


def test_every_query_has_a_known_kind_a_rule_and_no_expected_failure():
    for query in QUERIES:
        assert query["kind"] in KINDS, query
        assert "expect_fail" not in query, query["query"]
        rule = query["relevant"]
        assert set(rule) <= {"all", "any", "none", "field"} and (rule.get("all") or rule.get("any")), query
        assert rule.get("field", "text") in {"text", "title"}, query


def test_queries_are_unique():
    repeated = [text for text, n in Counter(q["query"] for q in QUERIES).items() if n > 1]
    assert not repeated


def test_every_kind_has_at_least_four_queries():
    counts = Counter(q["kind"] for q in QUERIES)
    assert {kind: counts[kind] for kind in KINDS if counts[kind] < 4} == {}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q["query"])
def test_every_rule_holds_for_at_least_three_replica_articles(texts, query):
    assert len(judge(query, texts)) >= 3


@pytest.mark.parametrize("query", CONCEPT_QUERIES, ids=lambda q: q["query"])
def test_a_concept_rule_lists_only_the_concepts_names_and_its_chinese_name(query):
    """The rule's first 'all' item: names of the concept as the vocabulary spells them, its first Chinese
    name among them, so a judged set and a vocabulary that drift apart fail here."""
    concept = concept_of(query)
    first = query["relevant"]["all"][0]
    listed = {spelling(name) for name in ([first] if isinstance(first, str) else first)}
    names = {spelling(term) for term in concept.terms}
    assert listed <= names, f"not names of {concept.id}: {sorted(listed - names)}"
    assert spelling(concept.zh[0]) in listed


@pytest.mark.parametrize(
    "query",
    [q for q in CONCEPT_QUERIES if q["kind"] not in {"pinyin-typo", "english-typo", "traditional"}],
    ids=lambda q: q["query"],
)
def test_a_concept_query_writes_a_name_of_its_concept(query):
    """english, brand and abbr queries write one of the concept's English, brand or abbreviated names; the
    others any of its names."""
    concept = concept_of(query)
    names = getattr(concept, KIND_FIELD.get(query["kind"], "terms"))
    assert named_terms(query["query"]) & {term_key(name) for name in names}, (concept.id, names)


@pytest.mark.parametrize("query", [q for q in QUERIES if q["kind"] == "english-typo"], ids=lambda q: q["query"])
def test_an_english_typo_is_one_letter_from_a_name_or_two_from_nine_letters(query):
    concept = concept_of(query)
    typed = term_key(query["query"])
    assert load_vocabulary().concept_of(typed) is None, "a name, not a typo"
    distances = [(edit_distance(typed, term_key(name)), name) for name in concept.terms if name.isascii()]
    distance, name = min(distances)
    assert 1 <= distance <= (2 if len(name) >= 9 else 1), (name, distance)


@pytest.mark.parametrize("query", [q for q in QUERIES if q["kind"] == "pinyin-typo"], ids=lambda q: q["query"])
def test_a_chinese_typo_is_one_character_from_a_chinese_name(query):
    concept = concept_of(query)
    typed = query["query"]
    assert load_vocabulary().concept_of(typed) is None, "a name, not a typo"
    differences = [
        sum(a != b for a, b in zip(typed, name, strict=True)) for name in concept.zh if len(name) == len(typed)
    ]
    assert 1 in differences, concept.zh


@pytest.mark.parametrize("query", [q for q in QUERIES if q["kind"] == "traditional"], ids=lambda q: q["query"])
def test_a_traditional_query_has_traditional_characters(query):
    text = query["query"]
    assert fold(text) != unicodedata.normalize("NFKC", text).casefold()
    if "concept" in query:
        assert term_key(fold(text)) in {term_key(name) for name in concept_of(query).terms}
