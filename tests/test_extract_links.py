"""Theme-independent links: post links, listings the theme rules do not know, the fallback's link reader."""

from __future__ import annotations

import pytest

from itp6crawl.extract.html import parse_document
from itp6crawl.extract.links import generic_page_links, parse_listing, post_links
from itp6crawl.replica import build_site, rename_theme_classes

BASE = "https://www.itp6.com"


def doc(html: str):
    return parse_document(f"<html><head><title>t</title></head><body>{html}</body></html>")


# --------------------------------------------------------------------------- post_links


def test_post_links_are_same_site_post_permalinks_absolute_and_deduplicated_in_order():
    page = doc(
        """
        <a href="/16002.html">relative</a>
        <a href="https://itp6.com/16001.html?replytocom=3#respond">no www, query and fragment</a>
        <a href="https://www.itp6.com/16002.html#comments">again</a>
        <a href="http://www.itp6.com/16003.html">http</a>
        <area href="16004.html">
        <a href="https://www.itp6.com/category/zhiliao">category</a>
        <a href="https://www.itp6.com/16005.html/comment-page-1">not a permalink</a>
        <a href="https://www.itp6.com/abc.html">not digits</a>
        <a href="https://www.itp6.com:8443/16006.html">other port: another site</a>
        <a href="https://elsewhere.example/16007.html">other host</a>
        <a href="javascript:;">js</a><a>no href</a>
        """
    )
    assert post_links(page, f"{BASE}/") == [
        f"{BASE}/16002.html",
        "https://itp6.com/16001.html",
        "http://www.itp6.com/16003.html",
        f"{BASE}/16004.html",
    ]


def test_post_links_resolve_against_the_page_url():
    page = doc('<a href="16004.html">a</a><a href="../16005.html">b</a>')
    assert post_links(page, f"{BASE}/16001.html") == [f"{BASE}/16004.html", f"{BASE}/16005.html"]
    # Resolved under a category path they are not permalinks.
    assert post_links(page, f"{BASE}/category/zhiliao/") == []


# --------------------------------------------------------------------------- parse_listing


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


# --------------------------------------------------------------------------- generic_page_links


ARTICLE = """
<header><ul><li><a href="{BASE}/16090.html">menu post</a></li>
<li><a href="{BASE}/16091.html">menu post</a></li></ul></header>
<div class="c1"><h1>标题</h1>
<div class="c2" id="body"><p>正文提到<a href="{BASE}/16050.html">一篇</a>和
<a href="{BASE}/16051.html">另一篇</a>，在上一篇文章里也说过。</p>
<p>链接:<a href="{BASE}/16100.html">{BASE}/16100.html</a></p></div>
{neighbours}
{related}
</div>
<div class="c9"><h3>热门文章</h3><ul><li><a href="{BASE}/16070.html">热一</a></li>
<li><a href="{BASE}/16071.html">热二</a></li></ul></div>
<footer><a href="{BASE}/16080.html">f</a><a href="{BASE}/16081.html">g</a></footer>
""".replace("{BASE}", BASE)

NEIGHBOURS_BY_LABEL = f"""
<div class="n"><div class="n1"><a href="{BASE}/16099.html"><span>前一篇的标题</span></a>
<div><span>上一篇</span><span>2024年5月30日</span></div></div>
<div class="n2"><a href="{BASE}/16101.html"><span>后一篇的标题</span></a>
<div><span>下一篇</span><span>3天前</span></div></div></div>
"""

RELATED = f"""
<div class="r"><h3>相关推荐</h3><ul>
<li><div><a href="{BASE}/16020.html"><img alt="x"></a><a href="{BASE}/category/zhiliao">治疗</a></div>
<h3><a href="{BASE}/16020.html">相关一</a></h3><p>摘要 2020年说起</p>
<div><span>2020-01-02</span><a href="{BASE}/16020.html#comments">0</a></div></li>
<li><a href="{BASE}/16021.html" title="相关二"><span>相关二</span><span>2021-02-03</span></a></li>
<li><a href="{BASE}/weixinqun/"><span>微信病友交流群</span></a></li>
<li><a href="{BASE}/16100.html">自己</a></li>
</ul></div>
"""


def links_of(neighbours: str = NEIGHBOURS_BY_LABEL, related: str = RELATED, url: str = f"{BASE}/16100.html"):
    page = doc(ARTICLE.replace("{neighbours}", neighbours).replace("{related}", related))
    return generic_page_links(page, url, body=page.get_element_by_id("body"))


def test_generic_neighbours_by_their_labels():
    links = links_of()
    assert (links.prev.url, links.prev.title, links.prev.date) == (f"{BASE}/16099.html", "前一篇的标题", "2024-05-30")
    assert (links.next.url, links.next.title) == (f"{BASE}/16101.html", "后一篇的标题")


def test_generic_neighbours_by_rel_win_and_a_sentence_in_the_body_is_no_label():
    rel = (
        f'<p><a rel="prev" href="{BASE}/16098.html">« 上一篇: 甲</a> <a rel="next" href="{BASE}/16102.html">乙</a></p>'
    )
    links = links_of(neighbours=rel)
    assert (links.prev.url, links.prev.title) == (f"{BASE}/16098.html", "甲")
    assert links.next.url == f"{BASE}/16102.html"
    none = links_of(neighbours="")
    assert none.prev is None and none.next is None


def test_generic_neighbours_in_one_line():
    line = f'<p>上一篇:<a href="{BASE}/16098.html">甲</a> 下一篇:<a href="{BASE}/16102.html">乙</a></p>'
    links = links_of(neighbours=line)
    assert links.prev.url == f"{BASE}/16098.html" and links.next.url == f"{BASE}/16102.html"


def test_generic_related_posts_with_titles_and_dates():
    links = links_of()
    assert [(link.url, link.title, link.date) for link in links.related] == [
        (f"{BASE}/16020.html", "相关一", "2020-01-02"),
        (f"{BASE}/16021.html", "相关二", "2021-02-03"),
        (f"{BASE}/weixinqun/", "微信病友交流群", None),
    ]


def test_generic_related_never_takes_body_menu_sidebar_footer_or_neighbour_links():
    links = links_of(related="")
    assert links.related == []  # the 热门文章 list is the only post list left after the body
    heading_free = RELATED.replace("<h3>相关推荐</h3>", "")
    assert [link.url for link in links_of(related=heading_free).related][:2] == [
        f"{BASE}/16020.html",
        f"{BASE}/16021.html",
    ]


def test_generic_related_prefers_a_related_heading_over_the_nearest_list():
    other = (
        f'<div><ul><li><a href="{BASE}/16030.html">甲</a></li><li><a href="{BASE}/16031.html">乙</a></li></ul></div>'
    )
    links = links_of(related=other + RELATED)
    assert [link.url for link in links.related][:2] == [f"{BASE}/16020.html", f"{BASE}/16021.html"]


def test_a_title_that_starts_with_part_one_is_no_neighbour_label():
    line = f'<p><a href="{BASE}/16102.html">下一篇: 上篇的故事</a></p>'
    cards = RELATED.replace("相关二</span>", "上篇:相关二</span>")
    links = links_of(neighbours=line, related=cards)
    assert links.prev is None
    assert (links.next.url, links.next.title) == (f"{BASE}/16102.html", "上篇的故事")
    assert [link.title for link in links.related][:2] == ["相关一", "上篇:相关二"]
