"""Post links: every same-site post permalink of a page, with no theme knowledge."""

from __future__ import annotations

from conftest import body_doc as doc

from itp6crawl.extract.links import post_links

BASE = "https://www.itp6.com"


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


def test_the_links_to_follow_are_the_urls_of_the_related_posts_and_neighbours_the_article_reads():
    """links_to_follow reads the same anchors as related_links and neighbour_link without their titles
    and dates: on every replica page, of both themes and with drifted class names, the same URLs."""
    from itp6crawl.extract import parse_page
    from itp6crawl.extract.links import links_to_follow, neighbour_link, related_links
    from itp6crawl.replica import build_site

    base = "http://127.0.0.1:8123"
    pages = 0
    for site in (build_site(n_articles=40, seed=3), build_site(n_articles=12, seed=4, theme_drift=True)):
        for spec in site.articles:
            url = spec.url(base)
            page = parse_page(site.render(spec.path, base)[2]).doc
            read = related_links(page, url) + [n for rel in ("prev", "next") if (n := neighbour_link(page, url, rel))]
            assert links_to_follow(page, url) == ([link.url for link in read] or post_links(page, url))
            pages += 1
    assert pages == 52
