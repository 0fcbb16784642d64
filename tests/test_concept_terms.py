"""Concept tokens (itp6crawl/concept_terms.py): one index token per place a name of a concept occurs."""

from __future__ import annotations

from itp6crawl.concept_terms import (
    CONCEPT_MARK,
    concept_feature,
    concept_token,
    concept_tokens,
    names_a_concept,
    with_concept_terms,
)
from itp6crawl.records import Segments
from itp6crawl.text import default_segmenter
from itp6crawl.vocabulary import load_vocabulary


def _seg(text: str) -> str:
    return default_segmenter().index_text(text)


def test_a_concept_token_is_one_index_word_no_text_can_write():
    eltrombopag = load_vocabulary().concept_of("eltrombopag")
    token = concept_token(eltrombopag)
    assert token == f"{CONCEPT_MARK}eltrombopag{CONCEPT_MARK}"
    hyphenated = concept_token(load_vocabulary().concept_of("TPO-RA"))
    assert "-" not in hyphenated and hyphenated.startswith(CONCEPT_MARK) and hyphenated.endswith(CONCEPT_MARK)
    assert CONCEPT_MARK not in _seg(f"写进正文的 {CONCEPT_MARK}eltrombopag{CONCEPT_MARK}")  # the segmenter drops it


def test_every_name_of_a_concept_in_the_text_gives_its_token_once_per_place():
    eltrombopag = concept_token(load_vocabulary().concept_of("eltrombopag"))
    body = _seg("服用艾曲泊帕后,Revolade 即 eltrombopag,再吃艾曲泊帕。")
    assert concept_tokens(body).count(eltrombopag) == 4
    assert concept_tokens(_seg("今天天气很好")) == []


def test_title_names_go_to_the_title_and_the_others_to_the_extra_column():
    eltrombopag = concept_token(load_vocabulary().concept_of("eltrombopag"))
    segments = Segments(_seg("艾曲泊帕用药经验"), _seg("服用 eltrombopag 后回升"), "")
    extended = with_concept_terms(segments)
    assert extended.title_seg.split().count(eltrombopag) == 1 and extended.body_seg == segments.body_seg
    assert extended.search_extra.split().count(eltrombopag) == 1
    assert with_concept_terms(extended) == extended  # once only: a saved article is saved again unchanged
    plain = Segments(_seg("饮食记录"), _seg("今天天气很好"), "")
    assert with_concept_terms(plain) == plain


def test_names_a_concept_is_the_whole_word_as_the_index_holds_it():
    vocabulary = load_vocabulary()
    assert names_a_concept("eltrombopag", vocabulary.concept_of("eltrombopag"))
    assert names_a_concept("platelets", vocabulary.concept_of("platelet"))  # its stem, platelet, is a name
    assert not names_a_concept("eltrombopag 儿童", vocabulary.concept_of("eltrombopag"))


def test_the_index_is_marked_with_the_vocabulary_it_was_made_from():
    assert concept_feature().startswith("concept_terms:") and len(concept_feature()) == len("concept_terms:") + 16
