"""Theme-independent links: post links, listings the theme rules do not know, the fallback's link reader."""

from __future__ import annotations

from datetime import UTC, datetime

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
    # Other words between a label and its link do not part them; another label does.
    dated = (
        f'<p>上一篇:<span>(较早)</span><a href="{BASE}/16098.html">甲</a> 下一篇:<a href="{BASE}/16102.html">乙</a></p>'
    )
    links = links_of(neighbours=dated)
    assert links.prev.url == f"{BASE}/16098.html" and links.next.url == f"{BASE}/16102.html"


def _neighbours_of(html: str):
    page = doc(html)
    return generic_page_links(page, f"{BASE}/16100.html", body=page.get_element_by_id("body"))


def test_a_neighbour_label_in_the_body_or_beside_it_takes_no_body_link():
    """A label is looked for outside the body, and the block it names a link from never holds the body."""
    inside = (
        f'<h1>标题</h1><div id="body"><p>正文。</p><p>上一篇 <a href="{BASE}/16050.html">正文里的链接</a></p></div>'
    )
    beside = f'<div><div id="body"><p>正文<a href="{BASE}/16050.html">一篇</a>。</p></div><span>上一篇</span></div>'
    for html in (inside, beside):
        links = _neighbours_of(html)
        assert links.prev is None and links.next is None, html


def test_inside_a_link_only_the_full_label_before_a_post_link_counts():
    for anchor in (f'<a href="{BASE}/16098.html">上篇</a>', f'<a href="{BASE}/category/zhiliao">上一篇:治疗</a>'):
        assert links_of(neighbours=f"<p>{anchor}</p>").prev is None, anchor
    assert links_of(neighbours=f'<p><a href="{BASE}/16098.html">上一篇:甲</a></p>').prev.url == f"{BASE}/16098.html"


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


def test_unrecognised_listing_resolves_relative_links_and_skips_an_offsite_pager_link():
    page = doc(
        '<div class="list"><a href="/16001.html">一</a><a href="//www.itp6.com/16002.html">二</a></div>'
        '<a href="https://elsewhere.example/category/zhiliao/page/2">镜像</a><a href="/category/zhiliao/page/2">2</a>'
    )
    result = parse_listing(page, f"{BASE}/category/zhiliao")
    assert result.article_urls == [f"{BASE}/16001.html", f"{BASE}/16002.html"]
    assert result.next_page == f"{BASE}/category/zhiliao/page/2"


# --------------------------------------------------------------------------- generic rules, one at a time


def test_generic_related_list_inside_page_chrome_is_never_related():
    """A 相关推荐 list in a page-level sidebar, menu or footer (by HTML5 tag or ARIA role) is chrome;
    the same list inside ``main`` or ``article`` (an HTML5 post footer) belongs to the article."""
    for wrapper in (
        "<aside>{}</aside>",
        "<nav>{}</nav>",
        '<div role=" Complementary ">{}</div>',
        '<div role="navigation">{}</div>',
        "<footer>{}</footer>",
        "<aside><main>{}</main></aside>",
    ):
        assert links_of(related=wrapper.format(RELATED)).related == [], wrapper
    for wrapper in ("<main>{}</main>", "<article><aside>{}</aside></article>", "<main><footer>{}</footer></main>"):
        assert [link.url for link in links_of(related=wrapper.format(RELATED)).related][:2] == [
            f"{BASE}/16020.html",
            f"{BASE}/16021.html",
        ], wrapper


def test_generic_neighbour_labels_inside_a_nav_count_but_not_inside_a_sidebar():
    navigation = f"<nav>{NEIGHBOURS_BY_LABEL}</nav>"
    assert links_of(neighbours=navigation).prev.url == f"{BASE}/16099.html"
    assert links_of(neighbours=f'<div role="navigation">{NEIGHBOURS_BY_LABEL}</div>').next.url == f"{BASE}/16101.html"
    for sidebar in (f"<aside>{NEIGHBOURS_BY_LABEL}</aside>", f"<aside><nav>{NEIGHBOURS_BY_LABEL}</nav></aside>"):
        links = links_of(neighbours=sidebar)
        assert links.prev is None and links.next is None, sidebar


def test_generic_neighbour_titles_dates_and_their_own_block():
    now = datetime(2024, 6, 2, 12, tzinfo=UTC)
    links = generic_page_links(
        doc(ARTICLE.replace("{neighbours}", NEIGHBOURS_BY_LABEL).replace("{related}", "")),
        f"{BASE}/16100.html",
        now=now,
    )
    assert links.next.date == "2024-05-30"  # 3天前, counted from the page's fetch time
    titled = f'<p><a rel="prev" title="上一篇: 甲的故事" href="{BASE}/16098.html">«</a></p>'
    assert links_of(neighbours=titled).prev.title == "甲的故事"
    spans = f'<p><a rel="prev" href="{BASE}/16098.html"><span>上一篇</span><span>乙的故事</span></a></p>'
    assert links_of(neighbours=spans).prev.title == "乙的故事"
    # A date two levels up is still the neighbour's own; one shared with the other neighbour is not.
    nested = f'<div><div><a rel="prev" href="{BASE}/16098.html">甲</a></div><span>2024-05-29</span></div>'
    assert links_of(neighbours=nested).prev.date == "2024-05-29"
    shared = (
        f'<p>上一篇:<a href="{BASE}/16098.html">甲</a> 下一篇:<a href="{BASE}/16102.html">乙</a>'
        "<span>2024-05-29</span></p>"
    )
    links = links_of(neighbours=shared)
    assert (links.prev.date, links.next.date) == (None, None)
    dateless = links_of(neighbours=f'<p><a rel="next" href="{BASE}/16102.html">乙</a></p>').next
    assert dateless.date is None
    # Three levels up is beyond the neighbour's own block, even with no other post link in between.
    far = f'<div><div><div><a rel="prev" href="{BASE}/16098.html">甲</a></div></div><span>2024-05-29</span></div>'
    assert links_of(neighbours=far).prev.date is None
    labelled_span = f'<p><a rel="prev" href="{BASE}/16098.html"><span>上一篇：丙的故事</span></a></p>'
    assert links_of(neighbours=labelled_span).prev.title == "丙的故事"


def test_generic_neighbour_directly_under_body():
    links = _neighbours_of(
        f'<h1>标题</h1><div id="body"><p>正文</p></div><a rel="next" href="{BASE}/16102.html">乙</a>'
    )
    assert (links.next.url, links.next.title, links.next.date) == (f"{BASE}/16102.html", "乙", None)


def related_list(items: str, heading: str = "<h3>相关推荐</h3>") -> str:
    return f'<div class="r">{heading}<ul>{items}</ul></div>'


def related_pairs(items: str) -> list[tuple[str, str]]:
    """(url, title) of the related posts read from a 相关推荐 list of ``items``."""
    return [(link.url, link.title) for link in links_of(related=related_list(items)).related]


def test_generic_related_card_titles_from_spans_text_title_or_image():
    items = (
        f'<li><a href="{BASE}/16021.html"><span>2021-02-03</span><span>相关二</span></a></li>'
        f'<li><a href="{BASE}/16022.html" title="相关三">2021-02-04</a></li>'
        f'<li><a href="{BASE}/16023.html"><img src="x.png" alt="相关四"></a></li>'
        f'<li><a href="{BASE}/16024.html" title="相关五"><img src="y.png"></a></li>'
    )
    related = links_of(related=related_list(items)).related
    assert [(link.title, link.date) for link in related] == [
        ("相关二", "2021-02-03"),
        ("相关三", "2021-02-04"),
        ("相关四", None),
        ("相关五", None),
    ]


def test_generic_related_card_title_link_is_the_one_with_words_not_a_category_tag_or_count():
    items = (
        f'<li><a href="{BASE}/16021.html"><img alt="图"></a><a href="{BASE}/16021.html#comments">12</a>'
        f'<a href="/category/zhiliao">治疗</a><a href="{BASE}/16021.html">相关二</a></li>'
        f'<li><a href="/tag/xiaoban">血小板</a><a href="/author/x">作者</a><a href="{BASE}/16022.html">相关三</a></li>'
        f'<li><a href="{BASE}/16023.html"><img alt="相关四"></a></li>'
    )
    assert related_pairs(items) == [
        (f"{BASE}/16021.html", "相关二"),
        (f"{BASE}/16022.html", "相关三"),
        (f"{BASE}/16023.html", "相关四"),
    ]


def test_generic_related_list_of_bare_links():
    block = (
        f'<h3>相关推荐</h3><div><a name="top"></a><a href="{BASE}/16021.html">相关二</a>'
        f'<a href="{BASE}/16022.html">相关三</a></div>'
    )
    assert [(link.url, link.title) for link in links_of(related=block).related] == [
        (f"{BASE}/16021.html", "相关二"),
        (f"{BASE}/16022.html", "相关三"),
    ]


def test_generic_related_skips_self_duplicates_listings_offsite_and_home_but_goes_on():
    items = (
        f'<li><a href="{BASE}/16021.html">相关二</a></li>'
        f'<li><a href="{BASE}/16100.html">自己</a></li>'
        f'<li><a href="{BASE}/16021.html#comments">相关二又一次</a></li>'
        '<li><a href="/">首页</a></li>'
        '<li><a href="https://elsewhere.example/about/">别处</a></li>'
        + "".join(f'<li><a href="/{kind}/x/">列表</a></li>' for kind in ("category", "tag", "author", "page"))
        + '<li><a href="/weixinqun/#top">病友群</a></li>'
        f'<li><a href="{BASE}/16022.html">相关三</a></li>'
    )
    assert related_pairs(items) == [
        (f"{BASE}/16021.html", "相关二"),
        (f"{BASE}/weixinqun/", "病友群"),
        (f"{BASE}/16022.html", "相关三"),
    ]


def test_generic_related_dates_from_time_elements_and_relative_days():
    items = (
        f'<li><a href="{BASE}/16021.html">相关二</a><time datetime="2021-02-03T23:30:00+08:00">二月</time></li>'
        f'<li><a href="{BASE}/16022.html">相关三</a><span>3天前</span></li>'
    )
    page = doc(ARTICLE.replace("{neighbours}", "").replace("{related}", related_list(items)))
    now = datetime(2024, 6, 2, 12, tzinfo=UTC)
    related = generic_page_links(page, f"{BASE}/16100.html", body=page.get_element_by_id("body"), now=now).related
    assert [link.date for link in related] == ["2021-02-03", "2024-05-30"]


def test_generic_related_heading_is_the_text_just_before_the_list_or_its_first_child():
    plain = (
        f'<div><ul><li><a href="{BASE}/16030.html">甲</a></li><li><a href="{BASE}/16031.html">乙</a></li></ul></div>'
    )
    cards = f'<li><a href="{BASE}/16020.html">相关一</a></li><li><a href="{BASE}/16021.html">相关二</a></li>'

    def chosen(related: str) -> list[str]:
        return [link.url for link in links_of(related=plain + related).related]

    wanted = [f"{BASE}/16020.html", f"{BASE}/16021.html"]
    nearest = [f"{BASE}/16030.html", f"{BASE}/16031.html"]
    assert chosen(f"<ul><li>相关推荐</li>{cards}</ul>") == wanted  # first, link-free child
    assert chosen(f"<h3>相关推荐</h3><div></div> <p> </p><ul>{cards}</ul>") == wanted  # empty siblings skipped
    assert chosen(f"<div><h3>相关推荐</h3><div><ul>{cards}</ul></div></div>") == wanted  # two levels up
    assert chosen(f"<ul><li>{'相关' + '文' * 22}</li>{cards}</ul>") == wanted  # 24 characters: a heading
    assert chosen(f"<ul><li>{'相关' + '文' * 23}</li>{cards}</ul>") == nearest  # 25: a paragraph
    assert chosen(f"<h3>{'相关' + '文' * 23}</h3><ul>{cards}</ul>") == nearest
    assert chosen(f'<h3><a href="/tag/x">相关推荐</a></h3><ul>{cards}</ul>') == nearest  # a link is no heading
    # Nothing before the list up to the body: no heading, so the first list after the body wins.
    page = doc(f'<div><h1>标题</h1><div id="body"><p>正文</p></div></div><ul>{cards}</ul>')
    related = generic_page_links(page, f"{BASE}/16100.html", body=page.get_element_by_id("body")).related
    assert [link.url for link in related] == wanted


def test_generic_neighbours_in_one_line_after_a_comment():
    line = f'<p><!-- nav -->上一篇:<a href="{BASE}/16098.html">甲</a> 下一篇:<a href="{BASE}/16102.html">乙</a></p>'
    links = links_of(neighbours=line)
    assert (links.prev.url, links.next.url) == (f"{BASE}/16098.html", f"{BASE}/16102.html")


def test_generic_links_without_a_body_or_a_heading_to_start_from():
    """No body element and no h1: nothing can be placed after the body, so nothing is related; rel links
    still name the neighbours."""
    page = doc(
        f'<p>正文</p><ul><li><a href="{BASE}/16020.html">甲</a></li><li><a href="{BASE}/16021.html">乙</a></li></ul>'
        f'<a rel="prev" href="{BASE}/16019.html">前</a>'
    )
    links = generic_page_links(page, f"{BASE}/16100.html")
    assert links.related == [] and links.prev.url == f"{BASE}/16019.html"


def test_generic_related_list_that_starts_with_a_comment_and_a_24_character_heading():
    cards = f'<li><a href="{BASE}/16020.html">相关一</a></li><li><a href="{BASE}/16021.html">相关二</a></li>'
    heading = "相关" + "文" * 22
    links = links_of(related=f"<h3>{heading}</h3><ul><!-- cards -->{cards}</ul>")
    assert [link.url for link in links.related] == [f"{BASE}/16020.html", f"{BASE}/16021.html"]
