"""The generic fallback's link reader: related posts and neighbours by signals that survive a theme change."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import body_doc as doc

from itp6crawl.extract.generic_links import generic_page_links

BASE = "https://www.itp6.com"


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
