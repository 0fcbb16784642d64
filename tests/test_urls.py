"""The site's own URLs in one canonical form, whatever host, scheme or port served them."""

from __future__ import annotations

import pytest

from itp6crawl.records import Image, Link
from itp6crawl.urls import (
    CATEGORY_PATH,
    LISTING_PATH,
    LISTING_PREFIXES,
    POST_PATH,
    canonical_path,
    canonical_url,
    post_id_from_url,
    rebase_article,
    same_site,
    site_host,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/category/zhiliao", "/category/zhiliao"),
        ("/category/zhiliao/", "/category/zhiliao"),
        ("/category/zhiliao/page/1/", "/category/zhiliao"),
        ("/category/zhiliao/page/3/", "/category/zhiliao/page/3"),
        ("/tag/ITP/", "/tag/ITP"),
        ("/16001.html", "/16001.html"),
        ("/weixinqun/", "/weixinqun/"),
        ("", "/"),
    ],
)
def test_canonical_path(path, expected):
    assert canonical_path(path) == expected


def test_canonical_url_drops_what_does_not_name_the_page():
    assert canonical_url("http://127.0.0.1:5000/16001.html?replytocom=5#respond") == "https://www.itp6.com/16001.html"
    assert canonical_url("http://itp6.com/category/zhiliao/page/2/") == "https://www.itp6.com/category/zhiliao/page/2"
    assert canonical_url("http://itp6.com/?p=123") == "https://www.itp6.com/?p=123"


def test_rebase_article_rewrites_the_sites_urls_only(article_factory):
    replica = "http://127.0.0.1:8123"
    article = article_factory(
        url=f"{replica}/101.html",
        body_html=f'<p><a href="{replica}/102.html">甲</a><img src="//127.0.0.1:8123/a.png">'
        '<a href="http://127.0.0.1:8124/x">另一个端口</a><a href="https://example.org/1.html">外站</a></p>',
        images=[Image(src=f"{replica}/wp-content/uploads/a.jpg")],
        related=[Link(url=f"{replica}/102.html?from=related"), Link(url="https://example.org/3.html")],
        prev=Link(url=f"{replica}/100.html#comments"),
    )
    rebased = rebase_article(article, f"{replica}/101.html")
    assert rebased.url == "https://www.itp6.com/101.html"
    assert 'href="https://www.itp6.com/102.html"' in rebased.body_html
    assert 'src="https://www.itp6.com/a.png"' in rebased.body_html
    assert "http://127.0.0.1:8124/x" in rebased.body_html and "https://example.org/1.html" in rebased.body_html
    assert rebased.images[0].src == "https://www.itp6.com/wp-content/uploads/a.jpg"
    assert [link.url for link in rebased.related] == ["https://www.itp6.com/102.html", "https://example.org/3.html"]
    assert rebased.prev.url == "https://www.itp6.com/100.html"


def test_the_live_sites_other_spellings_become_the_canonical_one(article_factory):
    article = article_factory(url="http://itp6.com/101.html", related=[Link(url="https://itp6.com:443/102.html")])
    rebased = rebase_article(article, "http://itp6.com/101.html")
    assert (rebased.url, rebased.related[0].url) == ("https://www.itp6.com/101.html", "https://www.itp6.com/102.html")


@pytest.mark.parametrize(
    ("path", "post_id"),
    [("/16001.html", 16001), ("/1.html", 1), ("/16001.htm", None), ("/16001.html/", None), ("/a/16001.html", None)],
)
def test_a_post_is_its_permalink_shape(path, post_id):
    assert bool(POST_PATH.match(path)) is (post_id is not None)
    assert post_id_from_url(f"http://127.0.0.1:8000{path}?replytocom=3#respond") == post_id


@pytest.mark.parametrize(
    ("path", "listing", "category"),
    [
        ("/category/zhiliao", True, True),
        ("/category/zhiliao/", True, True),
        ("/category/zhiliao/page/3", True, True),
        ("/category/zhiliao/page/3/", True, True),
        ("/tag/ITP/page/2/", True, False),
        ("/author/admin", True, False),
        ("/category/", False, False),
        ("/category/a/b", False, False),
        ("/category/zhiliao/page/x", False, False),
        ("/16001.html", False, False),
    ],
)
def test_listings_with_or_without_the_trailing_slash(path, listing, category):
    assert bool(LISTING_PATH.match(path)) is listing and bool(CATEGORY_PATH.match(path)) is category
    assert path.startswith(LISTING_PREFIXES) or not listing


def test_the_site_is_its_host_give_or_take_www_and_its_written_port():
    assert site_host("https://www.itp6.com/1.html") == site_host("http://itp6.com") == "itp6.com"
    assert same_site("http://www.itp6.com/1.html", "https://itp6.com:443/")
    assert same_site("http://127.0.0.1:8000/", "https://127.0.0.1:8000/x")
    assert not same_site("http://127.0.0.1:8000/", "http://127.0.0.1:8001/")
    assert not same_site("https://www.itp6.com/", "https://elsewhere.example/")
