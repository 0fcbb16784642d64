"""The bilingual vocabulary: the shipped file is well formed and big enough, and its names resolve."""

from __future__ import annotations

import fnmatch
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from itp6crawl.vocabulary import KINDS, Concept, Vocabulary, load_vocabulary, parse_vocabulary, term_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def test_at_least_150_concepts(vocabulary):
    assert len(vocabulary) >= 150
    assert len(vocabulary.concepts) == len(vocabulary)


def test_every_concept_has_a_chinese_and_an_english_name(vocabulary):
    for concept in vocabulary.concepts:
        assert concept.zh and concept.en, concept.id
        assert concept.terms[0] == concept.zh[0] and concept.terms[len(concept.zh)] == concept.en[0]


def test_no_term_is_in_two_concepts(vocabulary):
    """Checked on the raw file, not through the loader (which refuses such a file)."""
    text = (ROOT / "itp6crawl" / "data" / "vocabulary.toml").read_text(encoding="utf-8")
    tables = tomllib.loads(text)["concept"]
    counts = Counter(
        term_key(t) for table in tables for key in ("zh", "en", "brands", "abbr", "lay") for t in table.get(key, [])
    )
    assert [term for term, n in counts.items() if n > 1] == []
    assert len({table["id"] for table in tables}) == len(tables)


def test_kinds_are_valid_and_all_used(vocabulary):
    kinds = {concept.kind for concept in vocabulary.concepts}
    assert kinds <= KINDS
    assert kinds == {"drug", "procedure", "test", "condition", "lay"}


@pytest.mark.parametrize(
    "terms",
    [
        ["eltrombopag", "Revolade", "Promacta", "艾曲泊帕", "瑞弗兰"],
        ["romiplostim", "Nplate", "罗米司亭"],
        ["avatrombopag", "Doptelet", "苏可欣", "阿伐曲泊帕"],
        ["地塞米松", "dexamethasone"],
        ["环孢素", "ciclosporin", "cyclosporine", "环孢菌素", "Neoral"],
        ["免疫性血小板减少症", "ITP", "特发性血小板减少性紫癜", "特發性血小板減少性紫癜"],
        ["IVIG", "丙球", "intravenous immunoglobulin", "静脉注射丙种球蛋白"],
        ["利妥昔单抗", "rituximab", "美罗华", "MabThera", "Rituxan"],
        ["脾切除", "切脾", "splenectomy"],
        ["血小板", "板子"],
        ["糖皮质激素", "激素"],
    ],
)
def test_the_names_of_one_concept_resolve_to_it(vocabulary, terms):
    found = {term: vocabulary.concept_of(term) for term in terms}
    assert None not in found.values(), found
    assert len({concept.id for concept in found.values()}) == 1, {t: c.id for t, c in found.items()}


def test_latin_terms_match_case_insensitively_chinese_exactly(vocabulary):
    eltrombopag = vocabulary.concept_of("eltrombopag")
    assert vocabulary.concept_of("REVOLADE") is eltrombopag
    assert vocabulary.concept_of("  revolade ") is eltrombopag
    assert vocabulary.concept_of("tpo-ra") is vocabulary.concept_of("TPO-RA") is not None
    assert vocabulary.concept_of("tpo ra") is None  # hyphens are kept (documented in itp6crawl.vocabulary)
    assert vocabulary.concept_of("艾曲泊") is None
    assert vocabulary.concept_of("no such drug") is None


def test_concept_terms_are_in_order():
    concept = Concept(id="x", kind="drug", zh=("甲",), en=("a",), brands=("B",), abbr=("C",), lay=("乙",))
    assert concept.terms == ("甲", "a", "B", "C", "乙")


GOOD = """
[[concept]]
id = "eltrombopag"
kind = "drug"
zh = ["艾曲泊帕"]
en = ["eltrombopag"]
"""


def test_a_well_formed_file_parses():
    vocabulary = parse_vocabulary(GOOD)
    assert len(vocabulary) == 1 and vocabulary.concept_of("艾曲泊帕").id == "eltrombopag"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[concept]]\nid = "bad"\nkind = "drugs"\nzh = ["甲"]\nen = ["a"]\n', r"concept 'bad': 'kind'"),
        (
            '[[concept]]\nid = "bad"\nkind = "drug"\nzh = ["甲"]\nen = ["Eltrombopag"]\n',
            r"concept 'bad': term 'Eltrombopag' is also in concept 'eltrombopag'",
        ),
        ('[[concept]]\nid = "bad"\nkind = "drug"\nzh = []\nen = ["a"]\n', r"concept 'bad': 'zh' is empty"),
        ('[[concept]]\nid = "bad"\nkind = "drug"\nzh = ["甲"]\n', r"concept 'bad': 'en' is empty"),
        ('[[concept]]\nid = "bad"\nkind = "drug"\nzh = ["甲"]\nen = "a"\n', r"concept 'bad': 'en' must be a list"),
        (
            '[[concept]]\nid = "bad"\nkind = "drug"\nzh = ["甲"]\nen = ["a"]\nbrand = ["B"]\n',
            r"concept 'bad': unknown key",
        ),
        (
            '[[concept]]\nid = "bad"\nkind = "drug"\nzh = ["甲", "甲"]\nen = ["a"]\n',
            r"concept 'bad': term '甲' is listed twice",
        ),
        (
            '[[concept]]\nid = "eltrombopag"\nkind = "drug"\nzh = ["甲"]\nen = ["a"]\n',
            r"concept 'eltrombopag': id repeats",
        ),
        (
            '[[concept]]\nid = "Bad Id"\nkind = "drug"\nzh = ["甲"]\nen = ["a"]\n',
            r"concept #2: 'id' must be an ASCII slug",
        ),
    ],
)
def test_a_malformed_entry_is_a_value_error_naming_it(extra, message):
    with pytest.raises(ValueError, match=message):
        parse_vocabulary(GOOD + "\n" + extra)


def test_a_malformed_file_on_disk_is_a_value_error(tmp_path):
    path = tmp_path / "vocabulary.toml"
    path.write_text(GOOD + '\n[[concept]]\nid = "bad"\nkind = "pill"\nzh = ["甲"]\nen = ["a"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="concept 'bad': 'kind'"):
        load_vocabulary(path)
    path.write_text("[[concept]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_vocabulary(path.read_text(encoding="utf-8"))


def test_load_vocabulary_is_cached():
    assert load_vocabulary() is load_vocabulary()


def test_the_file_ships_in_the_package():
    shipped = resources.files("itp6crawl") / "data" / "vocabulary.toml"
    assert shipped.is_file()
    assert len(parse_vocabulary(shipped.read_text(encoding="utf-8"))) >= 150
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["itp6crawl"]
    assert any(fnmatch.fnmatch("data/vocabulary.toml", pattern) for pattern in patterns), patterns


def test_the_packaged_vocabulary_is_read_from_its_prebuilt_form_once_built(tmp_path, monkeypatch):
    from itp6crawl.vocabulary import VOCABULARY_FILE, load_vocabulary, parse_vocabulary

    monkeypatch.setenv("ITP6CRAWL_CACHE_DIR", str(tmp_path))
    load_vocabulary.cache_clear()
    try:
        built = load_vocabulary()
        (prebuilt,) = tmp_path.glob("vocabulary-*.json")
        load_vocabulary.cache_clear()
        read_back = load_vocabulary()
        parsed = parse_vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8"))
        assert read_back.concepts == built.concepts == parsed.concepts  # tuples, as parsed
        assert read_back.concept_of("REVOLADE").id == "eltrombopag"
        prebuilt.write_text("[{broken")  # a damaged cache is parsed again, never trusted
        load_vocabulary.cache_clear()
        assert load_vocabulary().concepts == parsed.concepts
    finally:
        load_vocabulary.cache_clear()


def test_without_a_writable_cache_the_vocabulary_is_parsed(tmp_path, monkeypatch):
    from itp6crawl.vocabulary import load_vocabulary

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ITP6CRAWL_CACHE_DIR", str(blocked))
    load_vocabulary.cache_clear()
    try:
        assert load_vocabulary().concept_of("eltrombopag") is not None
    finally:
        load_vocabulary.cache_clear()
