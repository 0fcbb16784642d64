"""The lxml helpers: the class index answers as the XPath ``class~=`` test does, in document order."""

from __future__ import annotations

import gc

import lxml.html
from lxml import etree

from itp6crawl.extract.html import _CLASS_INDEXES, INDEXED_CLASSES, by_class, first_in, has_class

PAGE = """<html class="entry-tag"><body>
<div class="entry-page a"><p class="entry-tag  entry-tag">one</p><span class="entry-pagex">not a word</span></div>
<ul class="entry-related"><li class="x">two</li></ul>
<div class="entry-page-prev entry-related-posts"><a href="/1">no children</a></div>
<div class="btn-zan"><div class="btn-zan">nested</div></div>
</body></html>"""
QUESTIONS = [
    *((name,) for name in sorted(INDEXED_CLASSES)),
    ("entry-related-posts", "entry-related"),
    ("entry-page", "entry-tag", "btn-zan"),
    ("a",),  # not indexed: looked up directly
    ("x", "entry-page"),
    ("missing",),
]


def xpath_classes(doc, *names):
    return [element for element in doc.xpath("//*[" + " or ".join(map(has_class, names)) + "]") if element is not doc]


def test_by_class_matches_the_xpath_word_test_in_document_order():
    doc = lxml.html.document_fromstring(PAGE)
    for names in QUESTIONS:
        assert by_class(doc, *names) == xpath_classes(doc, *names), names
    assert [element.tag for element in by_class(doc, "entry-tag")] == ["p"]  # not the root; "a  a" once
    assert len(by_class(doc, "entry-page", "entry-page-prev")) == 2


def test_the_index_goes_with_its_document():
    doc = lxml.html.document_fromstring(PAGE)
    by_class(doc, "entry-tag")
    assert doc in _CLASS_INDEXES
    indexed = len(_CLASS_INDEXES)
    del doc
    gc.collect()
    assert len(_CLASS_INDEXES) <= indexed - 1  # the index held no reference to its document


def test_first_in_takes_the_first_scope_with_a_match_even_a_childless_one():
    doc = lxml.html.document_fromstring(PAGE)
    anchor = first_in(by_class(doc, "entry-page", "entry-page-prev"), ".//a[@href]")
    assert isinstance(anchor, etree._Element) and anchor.get("href") == "/1" and len(anchor) == 0
    assert first_in(by_class(doc, "entry-page"), ".//table") is None
