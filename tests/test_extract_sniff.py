"""Not a page, not a post: refused with a reason. Plus property tests: no input makes extraction raise
anything but ExtractionError, and URL canonicalisation is total and idempotent."""

from __future__ import annotations

import random
import re

import pytest
from conftest import fuzz_examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from itp6crawl.extract import NO_TITLE, ExtractionError, extract_article, extract_generic
from itp6crawl.extract.sniff import MAGIC_NUMBERS
from itp6crawl.replica import build_site
from itp6crawl.urls import CANONICAL_SITE, canonical_url

URL = "https://www.itp6.com/16001.html"
SITE = build_site(n_articles=12, seed=4)
ARTICLE_PAGES = [SITE.render(spec.path, CANONICAL_SITE)[2] for spec in SITE.articles[:6]]


@pytest.mark.parametrize("magic,kind", MAGIC_NUMBERS)
def test_known_binary_formats_are_named(magic, kind):
    with pytest.raises(ExtractionError, match=re.escape(f"not an HTML page: the bytes are {kind}")):
        extract_article(magic + b"<html><title>x</title><body>" + "正文".encode() * 50, URL)


def test_binary_garbage_labelled_html_is_refused():
    garbage = random.Random(1).randbytes(4096)
    with pytest.raises(ExtractionError, match="not an HTML page: binary data"):
        extract_article(garbage, URL)


def test_utf16_with_a_bom_is_not_taken_for_binary():
    page = "<html><head><title>标题</title></head><body><p>" + "血小板" * 30 + "</p></body></html>"
    article = extract_generic(page.encode("utf-16"), URL)
    assert article.title == "标题" and "血小板" in article.body_text


def test_control_characters_inside_a_page_are_dropped_not_a_crash():
    page = ARTICLE_PAGES[0].replace(b"</p>", b"\x01\x02\x7f</p>", 3)
    article = extract_article(page, URL)
    assert article.title and "\x01" not in article.body_text


@pytest.mark.parametrize(
    "path,reason",
    [
        ("/", "the home page"),
        ("/category/zhiliao", "a category listing"),
        ("/no-such-post-here.html", "the site's 404 page"),
        ("/?s=血小板", "search results"),
    ],
)
def test_pages_that_are_not_posts_are_refused_with_what_they_are(path, reason):
    body = SITE.render(path, CANONICAL_SITE)[2]
    with pytest.raises(ExtractionError, match=f"not an article page: {reason}"):
        extract_article(body, URL)
    with pytest.raises(ExtractionError, match="not an article page"):
        extract_generic(body, URL)


def test_an_untitled_fragment_is_no_article_but_an_untitled_long_text_is_kept_with_a_warning():
    with pytest.raises(ExtractionError, match="no title and under 200 characters"):
        extract_article(b"<html><body>hello</body></html>", URL)
    paragraph = "血小板减少症患者复查时需要注意的事项很多，医生建议按时服药并记录每次的检查结果。"
    body = "<html><body><div>" + f"<p>{paragraph}</p>" * 6 + "</div></body></html>"
    article = extract_article(body.encode(), URL)
    assert article.title == "" and paragraph in article.body_text and NO_TITLE in article.warnings


FUZZ = settings(max_examples=fuzz_examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_give_an_article_or_an_extraction_error(data):
    try:
        article = extract_article(data, URL)
    except ExtractionError:
        return
    assert article.title and article.body_text


@FUZZ
@given(
    st.sampled_from(range(len(ARTICLE_PAGES))),
    st.lists(st.tuples(st.sampled_from(["cut", "drop_tag", "flip", "recode"]), st.floats(0, 1)), max_size=4),
)
def test_damaged_replica_pages_give_an_article_or_an_extraction_error(index, damages):
    """Pages cut short, with tags deleted, bytes flipped or text re-encoded wrongly."""
    page = ARTICLE_PAGES[index]
    for damage, where in damages:
        at = int(where * len(page))
        if damage == "cut":
            page = page[:at]
        elif damage == "drop_tag":
            start = page.find(b"<", at)
            end = page.find(b">", start)
            page = page[:start] + page[end + 1 :] if start >= 0 and end > start else page
        elif damage == "flip":
            page = page[:at] + bytes([(page[at : at + 1] or b"\x00")[0] ^ 0xA5]) + page[at + 1 :]
        else:
            page = page.decode("utf-8", "replace").encode("gb18030", "replace")
    try:
        article = extract_article(page, URL)
    except ExtractionError:
        return
    assert article.title and article.body_text


URLS = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
        st.sampled_from(["http", "https", "HTTP", "ftp"]),
        st.sampled_from(["www.itp6.com", "itp6.com", "127.0.0.1:8000", "[::1]:99", "例子.测试"]),
        st.sampled_from(
            ["", "/", "/16001.html", "/category/zhiliao/", "/category/zhiliao/page/1/", "/%E8%A1%80", "//x"]
        ),
        st.sampled_from(["", "?replytocom=5", "?utm_source=x&a=1", "?"]),
        st.sampled_from(["", "#comments", "#"]),
    ),
)


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(URLS)
@example("A:;")  # urlparse split ";params" off for http(s) only: "https://www.itp6.com/;", then ".../"
@example("https://www.itp6.com/16001.html;jsessionid=1")
def test_canonical_url_is_total_and_idempotent(url):
    try:
        once = canonical_url(url)
    except ValueError:
        return  # urllib's own refusal of a malformed address (e.g. an unclosed [ in the host)
    assert canonical_url(once) == once
    if url.startswith(("http://", "https://")) and "/16001.html" in url:
        assert once == "https://www.itp6.com/16001.html"
