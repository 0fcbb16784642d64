"""Listing pages: their posts and next page, by the theme rules and on markup the rules do not know."""

from __future__ import annotations

import pytest
from conftest import body_doc as doc

from itp6crawl.extract.html import parse_document
from itp6crawl.extract.listings import parse_listing
from itp6crawl.replica import build_site, rename_theme_classes

BASE = "https://www.itp6.com"


UNKNOWN_LISTING = """
<nav><a href="{BASE}/category/zhiliao">治疗</a><a href="{BASE}/category/baike/">百科</a></nav>
<div class="grid"><div class="cell"><h4><a href="{BASE}/16001.html">一</a></h4></div>
<div class="cell"><h4><a href="{BASE}/16002.html#comments">二</a></h4></div></div>
<div class="pages">{pager}</div>
""".replace("{BASE}", BASE)


def listing(pager: str, url: str):
    return parse_listing(doc(UNKNOWN_LISTING.replace("{pager}", pager)), url)


def test_unrecognised_listing_falls_back_to_post_links():
    result = listing("", f"{BASE}/category/zhiliao")
    assert result.article_urls == [f"{BASE}/16001.html", f"{BASE}/16002.html"]


def test_theme_listing_keeps_the_theme_rule():
    page = doc(
        f'<ul class="post-loop"><li class="item"><h2 class="item-title"><a href="{BASE}/16001.html">一</a></h2>'
        f'</li></ul><aside><a href="{BASE}/16009.html">hot</a></aside>'
    )
    assert parse_listing(page, f"{BASE}/category/zhiliao").article_urls == [f"{BASE}/16001.html"]
    mixed = doc(
        f'<ul class="post-loop"><li class="item"><h2 class="item-title"><a href="{BASE}/16001.html">一</a></h2></li>'
        '<li class="item"><h2 class="item-title"><a href="/16002.html">二</a></h2></li></ul>'
    )
    assert parse_listing(mixed, f"{BASE}/category/zhiliao").article_urls == [f"{BASE}/16001.html", f"{BASE}/16002.html"]


@pytest.mark.parametrize(
    ("current", "href", "expected"),
    [
        ("/category/zhiliao", "/category/zhiliao/page/2", "/category/zhiliao/page/2"),
        ("/category/zhiliao/", "/category/zhiliao/page/2/", "/category/zhiliao/page/2/"),
        ("/category/zhiliao/page/2", "/category/zhiliao/page/3", "/category/zhiliao/page/3"),
        ("/category/zhiliao/page/2/", "/category/zhiliao/page/3", "/category/zhiliao/page/3"),
        ("/category/zhiliao/page/3", "/category/zhiliao/page/2", None),  # the previous page
        ("/category/zhiliao", "/category/zhiliao/page/3", None),  # not the next one
        ("/category/zhiliao", "/category/baike/page/2", None),  # another category
        ("/", "/category/zhiliao/page/2", None),  # the home page does not paginate into a category
    ],
)
def test_unrecognised_pagination_by_the_category_url_shape(current, href, expected):
    pager = f'<a href="{BASE}/category/zhiliao/page/1">1</a><a href="{BASE}{href}">&gt;</a>'
    result = listing(pager, BASE + current)
    assert result.next_page == (BASE + expected if expected else None)


def test_unrecognised_pagination_by_rel_next():
    pager = (
        f'<a rel="prev" href="{BASE}/category/zhiliao">上</a><a rel="next" href="{BASE}/category/zhiliao/page/3">下</a>'
    )
    assert listing(pager, f"{BASE}/category/zhiliao/page/2").next_page == f"{BASE}/category/zhiliao/page/3"
    # rel="next" is taken as written, whatever the URL's shape (here, another page of the same listing).
    shapeless = '<a rel="next" href="?paged=3">下一页</a>'
    assert listing(shapeless, f"{BASE}/category/zhiliao/page/2").next_page == f"{BASE}/category/zhiliao/page/2?paged=3"
    offsite = '<a rel="next" href="https://elsewhere.example/category/zhiliao/page/3">下</a>'
    assert listing(offsite, f"{BASE}/category/zhiliao/page/2").next_page is None


THEME_LISTING = """
<ul class="post-loop"><li class="item"><h2 class="item-title"><a href="/16001.html">一</a></h2></li>
<li class="item"><h2 class="item-title"><a href="/16002.html">二</a></h2></li>
<li class="item"><h2 class="item-title"><a href="/16001.html">一 (置顶)</a></h2></li></ul>
<a href="/category/baike">百科</a>{pager}
"""


@pytest.mark.parametrize(
    "pager",
    [
        '<ul class="pagination"><li class="next"><a href="page/2">下一页</a></li></ul>',
        '<div class="pagination"><a class="next page-numbers" href="page/2">»</a></div>',
        '<a class="load-more" href="page/2">加载更多</a>',
        '<link rel="next" href="page/2">',
    ],
)
def test_theme_listing_links_are_absolute_unique_and_paginated_by_each_theme_pager(pager):
    result = parse_listing(doc(THEME_LISTING.replace("{pager}", pager)), f"{BASE}/category/zhiliao/")
    assert result.article_urls == [f"{BASE}/16001.html", f"{BASE}/16002.html"]
    assert result.next_page == f"{BASE}/category/zhiliao/page/2"
    assert result.category_urls == [f"{BASE}/category/baike"]


def test_category_urls_keep_both_spellings():
    result = listing("", f"{BASE}/category/zhiliao")
    assert result.category_urls == [f"{BASE}/category/zhiliao", f"{BASE}/category/baike/"]


def test_renamed_replica_listing_still_yields_its_articles_and_next_page():
    site = build_site(n_articles=80, seed=2)
    path = "/category/zhiliao"
    status, _, body = site.render(path, BASE)
    assert status == 200
    themed = parse_listing(parse_document(body.decode()), BASE + path)
    renamed = parse_listing(parse_document(rename_theme_classes(body.decode())), BASE + path)
    assert themed.article_urls and set(themed.article_urls) <= set(renamed.article_urls)
    assert themed.next_page == renamed.next_page == f"{BASE}/category/zhiliao/page/2"


def test_unrecognised_listing_resolves_relative_links_and_skips_an_offsite_pager_link():
    page = doc(
        '<div class="list"><a href="/16001.html">一</a><a href="//www.itp6.com/16002.html">二</a></div>'
        '<a href="https://elsewhere.example/category/zhiliao/page/2">镜像</a><a href="/category/zhiliao/page/2">2</a>'
    )
    result = parse_listing(page, f"{BASE}/category/zhiliao")
    assert result.article_urls == [f"{BASE}/16001.html", f"{BASE}/16002.html"]
    assert result.next_page == f"{BASE}/category/zhiliao/page/2"
