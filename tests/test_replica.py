"""The replica of www.itp6.com: determinism, gold consistency, discovery, HTTP behaviour."""

from __future__ import annotations

import html
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from itp6crawl.replica import ReplicaServer, Site, build_site, corpus, rename_theme_classes
from itp6crawl.replica.__main__ import main as replica_main
from itp6crawl.replica.rename import THEME_IDS, keeps_class
from itp6crawl.replica.site import tag_slug
from itp6crawl.replica.theme import SHANGHAI

BASE = "http://127.0.0.1:8765"
GOLD_KEYS = {
    "id",
    "url",
    "theme",
    "title",
    "author",
    "credit",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "summary",
    "body",
    "images",
    "views",
    "likes",
    "related",
    "prev_url",
    "next_url",
    "prev_title",
    "next_title",
    "comments",
    "listed",
    "in_sitemap",
    "repost_of",
}
NOTICE = re.compile(r"^(文章属于病友个人治疗见解|提示[:：]ITP6病友网|作者[:：]|链接[:：]|文章版权归作者所有)")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(n_articles=60, seed=0)


@pytest.fixture(scope="module")
def gold(site: Site) -> list[dict]:
    return site.gold(BASE)


def get(site: Site, path: str) -> tuple[int, dict[str, str], str]:
    status, headers, body = site.render(path, BASE)
    return status, headers, body.decode("utf-8")


class BodyReader(HTMLParser):
    """A small reference reader of div.entry-content: text blocks and images, as the gold defines them."""

    BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li"})
    SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # div depth inside entry-content; 0 = outside
        self.skip_depth = 0  # div depth of entry-copyright being skipped
        self.skip_tag: str | None = None
        self.blocks: list[str] = []
        self.images: list[dict[str, str]] = []
        self.current: list[str] | None = None
        self.cells: list[str] | None = None
        self.cell: list[str] | None = None
        self.figure: dict[str, str] | None = None
        self.caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if self.depth == 0:
            if tag == "div" and "entry-content" in classes:
                self.depth = 1
            return
        if tag == "div":
            self.depth += 1
            if "entry-copyright" in classes and not self.skip_depth:
                self.skip_depth = self.depth
        if self.skip_depth or self.skip_tag:
            return
        if tag in self.SKIP:
            self.skip_tag = tag
        elif tag in self.BLOCKS:
            self.current = []
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "figure":
            self.figure = {}
        elif tag == "figcaption":
            self.caption = []
        elif tag == "img":
            image = {"src": a.get("data-original") or a["src"], "alt": a.get("alt", ""), "caption": ""}
            self.images.append(image)
            if self.figure is not None:
                self.figure = image

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0:
            return
        if tag == "div":
            if self.skip_depth == self.depth:
                self.skip_depth = 0
            self.depth -= 1
            return
        if self.skip_depth:
            return
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_tag = None
            return
        if tag in self.BLOCKS and self.current is not None:
            self.blocks.append(corpus.collapse("".join(self.current)))
            self.current = None
        elif tag in ("td", "th") and self.cell is not None and self.cells is not None:
            self.cells.append(corpus.collapse("".join(self.cell)))
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            self.blocks.append(" | ".join(self.cells))
            self.cells = None
        elif tag == "figcaption" and self.caption is not None and self.figure is not None:
            self.figure["caption"] = corpus.collapse("".join(self.caption))
            self.caption = None
        elif tag == "figure":
            self.figure = None

    def handle_data(self, data: str) -> None:
        if self.depth == 0 or self.skip_depth or self.skip_tag:
            return
        for sink in (self.current, self.cell, self.caption):
            if sink is not None:
                sink.append(data)

    def result(self) -> list[str]:
        blocks = [b for b in self.blocks if b]
        while blocks and NOTICE.match(blocks[-1]):  # old posts: the notice typed as plain paragraphs
            blocks.pop()
        return blocks


def read_body(page: str) -> BodyReader:
    reader = BodyReader()
    reader.feed(page)
    return reader


class TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.classes: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.classes += a.get("class", "").split()
        if "id" in a:
            self.ids.append(a["id"])

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def page_text(page: str) -> TextReader:
    reader = TextReader()
    reader.feed(page)
    return reader


# --------------------------------------------------------------------------- building


def test_deterministic() -> None:
    first, second = build_site(30, seed=3), build_site(30, seed=3)
    assert first.gold(BASE) == second.gold(BASE)
    for spec in first.articles[:10]:
        assert first.render(spec.path, BASE) == second.render(spec.path, BASE)
    for path in ("/", "/wp-sitemap.xml", "/category/zhiliao", "/robots.txt", "/nope/"):
        assert first.render(path, BASE) == second.render(path, BASE)
    other = build_site(30, seed=4)
    assert other.gold(BASE) != first.gold(BASE)


def test_size_and_large_site_speed() -> None:
    assert len(build_site(7).articles) == 7
    started = time.perf_counter()
    big = build_site(20_000, seed=1)
    built = time.perf_counter() - started
    started = time.perf_counter()
    spec = big.articles[12_345]
    status, _, body = big.render(spec.path, BASE)
    rendered = time.perf_counter() - started
    print(f"build_site(20_000): {built:.2f}s, one page: {rendered * 1000:.1f}ms")
    assert (
        len(big.articles) == 20_000 and status == 200 and spec.title.encode() in html.unescape(body.decode()).encode()
    )
    ids = [a.id for a in big.articles]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_gold_shape(site: Site, gold: list[dict]) -> None:
    assert [g["id"] for g in gold] == [a.id for a in site.articles]
    for g in gold:
        assert set(g) == GOLD_KEYS
        assert g["url"] == f"{BASE}/{g['id']}.html"
        assert g["theme"] in ("justnews6", "justnews5")
        assert ISO.match(g["published_at"]) and ISO.match(g["modified_at"])
        assert g["modified_at"] >= g["published_at"]
        assert g["body"] and all(b == corpus.collapse(b) and b for b in g["body"])
        assert not any(NOTICE.match(b) for b in g["body"][-3:])
        for c in g["comments"]:
            assert ISO.match(c["time"]) and c["text"]
    themes = Counter(g["theme"] for g in gold)
    assert themes["justnews5"] >= 5 and themes["justnews6"] >= 30
    assert sum(g["views"] is None for g in gold) > 0 and sum(g["views"] is not None for g in gold) > 0
    assert any(g["summary"] for g in gold) and any(g["comments"] for g in gold)
    assert any(c["parent_id"] for g in gold for c in g["comments"])
    assert any(g["modified_at"] != g["published_at"] for g in gold)
    text = "\n".join(b for g in gold for b in g["body"])
    for word in (
        "相关推荐",
        "打赏",
        "上一篇",
        "联系我们",
        "微信扫一扫",
        "【解读】",
        "目录",
        "CD4+CD25+ CD127low",
        "IgG1",
        "PAIgG",
        "10^9/L",
        "艾曲泊帕",
    ):
        assert word in text, word


def test_every_article_renders_with_gold_body(site: Site, gold: list[dict]) -> None:
    """The reference reader finds exactly the gold body and images in each page."""
    plain_notice = 0
    for g in gold:
        status, headers, page = get(site, f"/{g['id']}.html")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=UTF-8"
        assert "ETag" in headers and "Last-Modified" in headers
        assert g["title"] in html.unescape(page)
        assert f'<link rel="canonical" href="{g["url"]}">' in page
        assert f"<link rel='shortlink' href='{BASE}/?p={g['id']}' />" in page
        reader = read_body(page)
        assert reader.result() == g["body"], g["id"]
        assert reader.images == g["images"], g["id"]
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1])
        assert ld["headline"] == g["title"] and ld["datePublished"] == g["published_at"]
        assert ld["dateModified"] == g["modified_at"] and ld["author"]["name"] == g["author"]
        assert f'content="{g["modified_at"]}"' in page
        notice = "<p>作者：" in page
        plain_notice += notice
        assert ('class="entry-copyright"' in page) or notice
        assert f"作者:{g['credit']}" in page or f"作者：{g['credit']}" in page
        if g["theme"] == "justnews5":
            assert ('class="entry-footer"' in page and "« 上一篇" in page) or g["prev_url"] is None
        else:
            assert 'class="entry-main"' in page
    assert 5 <= plain_notice <= 20


def test_links_match_gold(site: Site, gold: list[dict]) -> None:
    by_url = {g["url"]: g for g in gold}
    order = sorted(gold, key=lambda g: (g["published_at"], g["id"]))
    assert order[0]["prev_url"] is None and order[-1]["next_url"] is None
    for before, after in itertools.pairwise(order):
        assert before["next_url"] == after["url"] and after["prev_url"] == before["url"]
    styles = Counter()
    for g in gold:
        _, _, page = get(site, f"/{g['id']}.html")
        if g["prev_url"]:
            assert f'<a href="{g["prev_url"]}" title="' in page and 'rel="prev"' in page
        related = page[page.index('class="entry-related-posts"') : page.index('id="comments"')]
        hrefs = re.findall(r'<h3 class="item-title"><a href="([^"]+)"|<li class="item"><a href="([^"]+)"', related)
        assert [a or b for a, b in hrefs] == [r["url"] for r in g["related"]]
        assert 4 <= len([r for r in g["related"] if r["url"] in by_url]) <= 6
        styles["loop" if "post-loop-default" in related else "list6" if "post-loop-list" in related else "list5"] += 1
        for r in g["related"]:
            if r["url"] in by_url:
                assert r["title"] == by_url[r["url"]]["title"] and r["date"] == by_url[r["url"]]["published_at"][:10]
        for c in g["comments"]:
            assert f'id="comment-{c["comment_id"]}"' in page
    assert min(styles.values()) > 0 and len(styles) == 3
    assert any(r["url"] == f"{BASE}/weixinqun/" for g in gold for r in g["related"])


def test_dates_relative_for_recent_posts(site: Site, gold: list[dict]) -> None:
    newest = max(gold, key=lambda g: g["published_at"])
    _, _, page = get(site, f"/{newest['id']}.html")
    assert re.search(r'pubdate>\d+(分钟|小时|天)前</time>|class="entry-date">\d+(分钟|小时|天)前<', page)
    oldest = min(gold, key=lambda g: g["published_at"])
    _, _, page = get(site, f"/{oldest['id']}.html")
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 (上午|下午)\d{1,2}:\d\d", page)


# --------------------------------------------------------------------------- discovery


def sitemap_urls(site: Site) -> list[str]:
    _, _, index = get(site, "/robots.txt")
    assert "Disallow: /wp-admin/" in index and f"Sitemap: {BASE}/wp-sitemap.xml" in index
    _, _, index = get(site, "/wp-sitemap.xml")
    urls: list[str] = []
    for loc in re.findall(r"<loc>([^<]+)</loc>", index):
        if "-posts-post-" in loc:
            status, _, child = get(site, loc.removeprefix(BASE))
            assert status == 200
            urls += re.findall(r"<loc>([^<]+)</loc>", child)
    return urls


def test_sitemaps_list_exactly_the_listed(site: Site, gold: list[dict]) -> None:
    urls = sitemap_urls(site)
    assert len(urls) == len(set(urls))
    assert set(urls) == {g["url"] for g in gold if g["listed"]}
    assert 0 < sum(not g["listed"] for g in gold) < len(gold) // 5
    _, _, child = get(site, "/wp-sitemap-posts-post-1.xml")
    assert "<lastmod>" in child and child.count("<url>") > child.count("<lastmod>")


def test_sitemap_chunks_of_2000() -> None:
    big = build_site(4500, seed=2)
    _, _, index = get(big, "/wp-sitemap.xml")
    listed = sum(a.listed for a in big.articles)
    posts = re.findall(r"wp-sitemap-posts-post-(\d+)\.xml", index)
    assert len(posts) == -(-listed // 2000)
    _, _, first = get(big, "/wp-sitemap-posts-post-1.xml")
    assert first.count("<url>") == 2000


def test_unlisted_reached_only_through_articles(site: Site, gold: list[dict]) -> None:
    unlisted = [g["url"] for g in gold if not g["listed"]]
    assert unlisted
    pages = {g["url"]: get(site, f"/{g['id']}.html")[2] for g in gold}
    for url in unlisted:
        assert any(f'href="{url}"' in page for other, page in pages.items() if other != url), url
    listings = [get(site, p)[2] for p in ("/", "/category/zhiliao", "/feed/")]
    for url in unlisted:
        assert not any(url in page for page in listings)


def crawl_category(site: Site, slug: str) -> tuple[list[str], bool]:
    path, seen, load_more = f"/category/{slug}", [], False
    while path:
        status, _, page = get(site, path)
        assert status == 200
        main = page[page.index('<ul class="post-loop') : page.index("</section>")]
        seen += re.findall(r'<h2 class="item-title"><a href="([^"]+)"', main)
        nxt = re.search(
            r'<a class="next" href="([^"]+)">下一页</a>|<a class="load-more j-load-more" href="([^"]+)"', main
        )
        if nxt:
            load_more = load_more or bool(nxt[2])
            total = re.search(r"<span>(\d+) / (\d+)</span>", main)
            assert nxt[2] or total
        path = (nxt[1] or nxt[2]).removeprefix(BASE) if nxt else ""
    return seen, load_more


def test_category_pagination_reaches_every_listed(site: Site, gold: list[dict]) -> None:
    found: set[str] = set()
    variants = set()
    for slug in corpus.CATEGORY_NAMES:
        urls, load_more = crawl_category(site, slug)
        assert len(urls) == len(set(urls))
        found |= set(urls)
        variants.add(load_more)
    assert found == {g["url"] for g in gold if g["listed"]}
    assert variants == {True, False}
    assert get(site, "/category/zhinan/page/99")[0] == 404 and get(site, "/category/zhinan/page/99/")[0] == 404
    assert get(site, "/category/zhinan/page/1")[0] == 301


def test_home_and_its_empty_page_2(site: Site, gold: list[dict]) -> None:
    status, _, home = get(site, "/")
    assert status == 200 and home.count('<h2 class="item-title">') == 10
    assert f'href="{BASE}/page/2/"' in home
    status, _, page2 = get(site, "/page/2/")
    main = page2[page2.index('<ul class="post-loop') : page2.index("</section>")]
    assert status == 200 and 'class="item-title"' not in main and "暂无内容" in main
    assert 'class="footer"' in page2 and 'class="sidebar"' in page2


def test_pages_and_not_found(site: Site) -> None:
    status, _, page = get(site, "/weixinqun/")
    assert status == 200 and "type-page" in page and corpus.WEIXINQUN_TITLE in page
    status, headers, page = get(site, "/no/such/page/")
    assert status == 404 and headers["Content-Type"] == "text/html; charset=UTF-8"
    assert corpus.ICP_LINE in page and "404" in page
    assert get(site, "/1.html")[0] == 404
    spec = site.articles[0]
    status, headers, _ = get(site, f"/?p={spec.id}")
    assert status == 301 and headers["Location"] == f"{BASE}{spec.path}"
    assert get(site, "/wp-json/wp/v2/posts")[0] == 404
    assert site.render("/wp-content/uploads/2020/01/x.png", BASE)[1]["Content-Type"] == "image/png"


# --------------------------------------------------------------------------- theme names


def test_rename_theme_classes(site: Site) -> None:
    for spec in [site.articles[0], *[a for a in site.articles if a.theme == "justnews5"][:2]]:
        _, _, page = get(site, spec.path)
        renamed = rename_theme_classes(page)
        before, after = page_text(page), page_text(renamed)
        assert before.parts == after.parts
        shared = set(before.classes) & set(after.classes)
        assert all(keeps_class(c) for c in shared), shared - {c for c in shared if keeps_class(c)}
        for name in (
            "entry-content",
            "entry-main",
            "entry-copyright",
            "entry-related-posts",
            "btn-dashang",
            "entry-page",
            "widget",
            "post-loop",
            "action",
            "entry",
            "comments-list",
        ):
            assert name not in after.classes
        assert not any(i.startswith("post-") or i in THEME_IDS for i in after.ids)
        assert "wp-caption" in after.classes or "wp-caption" not in before.classes


# --------------------------------------------------------------------------- HTTP


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_server_conditional_get_and_mutation() -> None:
    site = build_site(20, seed=5)
    spec = site.articles[3]
    with ReplicaServer(site, port=0) as server:
        assert re.match(r"^http://127\.0\.0\.1:\d+$", server.base_url)
        url = server.base_url + spec.path
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=UTF-8"
        assert body == site.render(spec.path, server.base_url)[2]
        etag, last_modified = headers["ETag"], headers["Last-Modified"]
        assert fetch(url, {"If-None-Match": etag})[0] == 304
        assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
        assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
        assert fetch(server.base_url + "/missing.html")[0] == 404

        site.now += timedelta(days=1)
        site.update_article(spec.id)  # one more 【更新】 paragraph, modified = now
        status, headers, body = fetch(url, {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and "【更新】" in body.decode()
        assert site.gold(server.base_url)[3]["modified_at"].startswith("2024-06-06")

        site.remove_article(spec.id)
        assert fetch(url)[0] == 404
        assert url not in fetch(server.base_url + "/wp-sitemap-posts-post-1.xml")[2].decode()
        new = site.add_article()
        assert fetch(server.base_url + new.path)[0] == 200
        assert server.base_url + new.path in fetch(server.base_url + "/wp-sitemap-posts-post-1.xml")[2].decode()

        server.inject_fault("/robots.txt", 503)
        assert fetch(server.base_url + "/robots.txt")[0] == 503
        assert fetch(server.base_url + "/robots.txt")[0] == 200
    paths = [path for method, path, status in server.request_log]
    assert paths.count(spec.path) >= 5 and ("GET", "/missing.html", 404) in server.request_log


def test_cli_writes_site(tmp_path: Path) -> None:
    assert replica_main(["--write", str(tmp_path), "--articles", "8", "--port", "9999"]) == 0
    gold = json.loads((tmp_path / "gold.json").read_text(encoding="utf-8"))
    assert len(gold) == 8 and (tmp_path / "index.html").exists() and (tmp_path / "404.html").exists()
    assert (tmp_path / "category" / "zhiliao" / "index.html").exists() and (tmp_path / "feed" / "index.html").exists()
    page = (tmp_path / f"{gold[0]['id']}.html").read_text(encoding="utf-8")
    assert gold[0]["url"] == f"http://127.0.0.1:9999/{gold[0]['id']}.html" and gold[0]["url"] in page


# --------------------------------------------------------------------------- listing links without a slash


class LinkReader(HTMLParser):
    """Every href with its rel, and every class token, of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, href, rel)
        self.classes: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.classes += a.get("class", "").split()
        if "href" in a:
            self.links.append((tag, a["href"], a.get("rel", "")))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def read_links(page: str) -> LinkReader:
    reader = LinkReader()
    reader.feed(page)
    return reader


TAXONOMY_LINK = re.compile(r"/(category|tag|author)/")


def taxonomy_hrefs(page: str) -> list[str]:
    return [href for _, href, _ in read_links(page).links if TAXONOMY_LINK.search(href)]


def test_listing_links_have_no_trailing_slash(site: Site) -> None:
    spec = next(a for a in site.articles if a.tags)
    tag_path = f"/tag/{tag_slug(spec.tags[0])}"
    pages = ["/", "/page/2/", spec.path, "/category/zhinan", "/category/zhiliao/page/2", tag_path]
    pages.append(f"/author/{spec.author_slug}")
    hrefs: set[str] = set()
    for path in pages:
        status, _, page = get(site, path)
        assert status == 200, path
        found = taxonomy_hrefs(page)
        assert found, path
        hrefs |= set(found)
    _, _, article = get(site, spec.path)
    assert re.search(rf'<a href="{BASE}/category/[a-z]+" rel="category tag">', article)
    assert f'href="{BASE}{tag_path}" rel="tag"' in article
    _, _, sitemap = get(site, "/wp-sitemap-taxonomies-category-1.xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(re.fullmatch(rf"{BASE}/category/[a-z]+", loc) for loc in locs)
    hrefs |= set(locs)
    assert not [h for h in hrefs if h.endswith("/")]
    assert any(re.fullmatch(rf"{BASE}/category/[a-z]+/page/\d+", h) for h in hrefs)  # pagination
    assert any("/tag/" in h for h in hrefs) and any("/author/" in h for h in hrefs)
    for href in hrefs:
        assert href.startswith(BASE) and get(site, href.removeprefix(BASE))[0] == 200, href
    # canonical links of listing pages, and the cards' item-category
    for path in ("/category/zhinan", "/category/zhiliao/page/2", tag_path, f"/author/{spec.author_slug}"):
        _, _, page = get(site, path)
        assert f'<link rel="canonical" href="{BASE}{path}">' in page, path
    _, _, home = get(site, "/")
    assert re.search(rf'<a class="item-category" href="{BASE}/category/[a-z]+" target="_blank">', home)
    assert f'href="{BASE}/page/2/"' in home  # the home page's quirk keeps its slash


def test_slash_forms_redirect_to_the_served_form(site: Site) -> None:
    spec = next(a for a in site.articles if a.tags and a.listed)
    tag = tag_slug(spec.tags[0])
    redirects = {
        "/category/zhinan/": "/category/zhinan",
        "/category/zhiliao/page/2/": "/category/zhiliao/page/2",
        "/category/zhinan/page/1": "/category/zhinan",
        "/category/zhinan/page/1/": "/category/zhinan",
        f"/tag/{tag}/": f"/tag/{tag}",
        f"/author/{spec.author_slug}/": f"/author/{spec.author_slug}",
    }
    for path, target in redirects.items():
        status, headers, _ = get(site, path)
        assert status == 301 and headers["Location"] == BASE + target, path
        assert get(site, target)[0] == 200
    for path in ("/category/nope", "/category/nope/", "/category/zhinan/page/99", "/category/zhinan/page/99/"):
        assert get(site, path)[0] == 404, path
    assert get(site, "/category/zhinan/page/0")[0] == 404
    # the home page's quirk is unchanged
    assert get(site, "/page/2/")[0] == 200
    status, headers, _ = get(site, "/page/2")
    assert status == 301 and headers["Location"] == f"{BASE}/page/2/"


def test_paths_are_the_served_forms(site: Site) -> None:
    paths = list(site.paths())
    assert len(paths) == len(set(paths))
    listings = [p for p in paths if TAXONOMY_LINK.match(p)]
    assert "/category/zhinan" in listings and "/category/zhiliao/page/2" in listings
    assert all(not p.endswith("/") for p in listings)
    assert any(p.startswith("/tag/") for p in listings) and any(p.startswith("/author/") for p in listings)
    for path in paths:
        assert get(site, path)[0] == 200, path


# --------------------------------------------------------------------------- a post only in category listings


def test_post_linked_only_from_a_category_page() -> None:
    site = build_site(60, seed=0)
    before = {g["id"]: g for g in site.gold(BASE)}
    old = datetime(2017, 3, 1, 9, 0, tzinfo=SHANGHAI)
    hidden = site.add_article(in_sitemap=False, published=old, categories=["zhiliao"], tags=["血小板"])
    assert not hidden.in_sitemap and hidden.listed
    url = hidden.url(BASE)
    listing = site.category_page_of(hidden.id)
    assert listing and re.fullmatch(r"/category/zhiliao/page/([2-9]|\d\d)", listing)
    assert url in get(site, listing)[2]
    # linked from that one listing page only: not from the home page, feed, sitemaps, tag or author
    # listings, the hot-posts widget or any other article
    linking = []
    for path in site.paths():
        if path == hidden.path:
            continue
        if url in get(site, path)[2]:
            linking.append(path)
    assert linking == [listing]
    assert url not in "".join(sitemap_urls(site))
    gold = {g["id"]: g for g in site.gold(BASE)}
    assert gold[hidden.id]["in_sitemap"] is False and gold[hidden.id]["listed"] is True
    for post_id, g in gold.items():
        if post_id == hidden.id:
            continue
        assert g["in_sitemap"] is True
        assert url not in {g["prev_url"], g["next_url"]} and url not in [r["url"] for r in g["related"]]
        assert g == before[post_id]  # nobody's neighbours moved
    # its own page links to the two posts around its place in publication order
    mine = gold[hidden.id]
    assert mine["prev_url"] and mine["next_url"]
    assert gold_by_url(gold, mine["prev_url"])["published_at"] <= mine["published_at"]
    assert gold_by_url(gold, mine["next_url"])["published_at"] >= mine["published_at"]
    assert gold_by_url(gold, mine["prev_url"])["next_url"] == mine["next_url"]
    # articles added later never pick it as related
    later = [site.add_article(categories=["zhiliao"]) for _ in range(5)]
    assert all(hidden.id not in spec.related for spec in later)


def test_new_hidden_post_is_on_the_home_page_but_in_no_sitemap() -> None:
    site = build_site(30, seed=1)
    hidden = site.add_article(in_sitemap=False)
    url = hidden.url(BASE)
    assert url in get(site, "/")[2] and url in get(site, f"/category/{hidden.categories[0]}")[2]
    assert url not in sitemap_urls(site)
    assert all(url not in (g["prev_url"], g["next_url"]) for g in site.gold(BASE) if g["id"] != hidden.id)
    assert site.category_page_of(hidden.id) == f"/category/{hidden.categories[0]}"
    assert site.category_page_of(site.add_article(listed=False).id) is None


def gold_by_url(gold: dict[int, dict], url: str) -> dict:
    return next(g for g in gold.values() if g["url"] == url)


# --------------------------------------------------------------------------- theme drift


THEME_LISTING_CLASSES = (
    "post-loop",
    "item",
    "item-title",
    "item-category",
    "item-excerpt",
    "item-meta",
    "pagination",
    "next",
    "load-more",
    "sec-panel",
    "widget",
    "sidebar",
    "main",
)


def test_theme_drift_renames_articles_and_listings() -> None:
    site = build_site(150, seed=0)  # 16 in 指南 (zhinan): numbered pagination
    assert site.theme_drift is False and build_site(5, theme_drift=True).theme_drift is True
    six = next(a for a in site.articles if a.theme == "justnews6")
    five = next(a for a in site.articles if a.theme == "justnews5")
    tagged = next(a for a in site.articles if a.tags and a.listed)
    paths = [
        six.path,
        five.path,
        "/",
        "/page/2/",
        "/category/zhiliao",  # load more
        "/category/zhiliao/page/2",
        "/category/zhinan",  # numbered pagination
        "/category/zhinan/page/2",
        f"/tag/{tag_slug(tagged.tags[0])}",
        f"/author/{tagged.author_slug}",
    ]
    plain = {path: site.render(path, BASE) for path in paths}
    site.theme_drift = True
    for path in paths:
        status, headers, body = site.render(path, BASE)
        old_status, old_headers, old_body = plain[path]
        assert status == old_status == 200 and body != old_body, path
        assert headers["ETag"] != old_headers["ETag"] and headers["Last-Modified"] == old_headers["Last-Modified"]
        before, after = read_links(old_body.decode()), read_links(body.decode())
        assert after.parts == before.parts, path  # text identical
        assert after.links == before.links, path  # hrefs and rel identical
        shared = set(before.classes) & set(after.classes)
        assert all(keeps_class(c) for c in shared), (path, shared)
        for name in THEME_LISTING_CLASSES:
            assert name not in after.classes, (path, name)
        assert body.decode() == rename_theme_classes(old_body.decode())
    _, _, listing = site.render("/category/zhinan", BASE)
    assert "下一页" in listing.decode() and f'href="{BASE}/category/zhinan/page/2"' in listing.decode()
    # other pages stay as they are
    for path in ("/weixinqun/", "/no/such/", "/wp-sitemap.xml"):
        site.theme_drift = False
        untouched = site.render(path, BASE)
        site.theme_drift = True
        assert site.render(path, BASE) == untouched
    site.theme_drift = False
    assert site.render(six.path, BASE) == plain[six.path]


# --------------------------------------------------------------------------- views-only changes


def test_views_only_change_keeps_modified_time_and_sitemap() -> None:
    site = build_site(40, seed=6)
    spec = next(a for a in site.articles if a.listed and a.show_views and a.sitemap_lastmod)
    _, headers, page = get(site, spec.path)
    sitemap = site.render("/wp-sitemap-posts-post-1.xml", BASE)
    gold_before = site.gold_article(spec, BASE)
    modified = spec.modified
    listing = site.category_page_of(spec.id)
    assert listing
    listing_before = site.render(listing, BASE)
    site.now += timedelta(days=2)
    site.update_article(spec.id, views=spec.views + 1234)
    _, new_headers, new_page = get(site, spec.path)
    assert f"阅读 {spec.views}" in new_page and f"阅读 {spec.views - 1234}" in page
    assert new_headers["ETag"] != headers["ETag"] and new_headers["Last-Modified"] == headers["Last-Modified"]
    assert spec.modified == modified
    gold_after = site.gold_article(spec, BASE)
    assert gold_after["modified_at"] == gold_before["modified_at"] and gold_after["views"] == spec.views
    assert site.render("/wp-sitemap-posts-post-1.xml", BASE) == sitemap  # same lastmod, same bytes, same ETag
    assert f"<lastmod>{modified.astimezone(UTC).isoformat()}</lastmod>" in sitemap[2].decode()
    # the listing card shows the count: a new ETag, the same Last-Modified
    _, listing_headers, _ = site.render(listing, BASE)
    assert listing_headers["ETag"] != listing_before[1]["ETag"]
    assert listing_headers["Last-Modified"] == listing_before[1]["Last-Modified"]


# --------------------------------------------------------------------------- conditional GET beyond articles


CONDITIONAL_PATHS = (
    "/",
    "/category/zhinan",
    "/category/zhinan/page/2",
    "/wp-sitemap.xml",
    "/wp-sitemap-posts-post-1.xml",
    "/wp-sitemap-taxonomies-category-1.xml",
    "/robots.txt",
    "/feed/",
)


def test_conditional_get_on_listings_and_sitemaps() -> None:
    site = build_site(150, seed=0)
    tagged = next(a for a in site.articles if a.tags and a.listed)
    paths = [*CONDITIONAL_PATHS, f"/tag/{tag_slug(tagged.tags[0])}", f"/author/{tagged.author_slug}"]
    with ReplicaServer(site, port=0) as server:
        validators = {}
        for path in paths:
            status, headers, body = fetch(server.base_url + path)
            assert status == 200 and body, path
            etag, last_modified = headers["ETag"], headers["Last-Modified"]
            validators[path] = etag, last_modified
            status, headers, body = fetch(server.base_url + path, {"If-None-Match": etag})
            assert status == 304 and body == b"" and headers["ETag"] == etag, path
            assert fetch(server.base_url + path, {"If-Modified-Since": last_modified})[0] == 304, path
            assert fetch(server.base_url + path, {"If-None-Match": '"stale"'})[0] == 200, path

        # an article of a listing changes: the listing and the posts sitemap answer 200 with new validators
        spec = next(a for a in site.articles if a.listed and a.sitemap_lastmod and a.categories[0] == "zhinan")
        listing = site.category_page_of(spec.id)
        assert listing
        status, headers, _ = fetch(server.base_url + listing)
        etag, last_modified = headers["ETag"], headers["Last-Modified"]
        sitemap_etag = validators["/wp-sitemap-posts-post-1.xml"][0]
        site.now += timedelta(days=1)
        site.update_article(spec.id, title=spec.title + "(修订)")
        status, headers, body = fetch(server.base_url + listing, {"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and "(修订)" in body.decode()
        assert fetch(server.base_url + listing, {"If-Modified-Since": last_modified})[0] == 200
        assert headers["Last-Modified"] != last_modified
        status, headers, _ = fetch(server.base_url + "/wp-sitemap-posts-post-1.xml", {"If-None-Match": sitemap_etag})
        assert status == 200 and headers["ETag"] != sitemap_etag
        # pages the change does not touch stay 304
        untouched = "/wp-sitemap-taxonomies-category-1.xml"
        assert fetch(server.base_url + untouched, {"If-None-Match": validators[untouched][0]})[0] == 304


# --------------------------------------------------------------------------- injected responses


MAINTENANCE = "<!DOCTYPE html><html><body><h1>网站维护中</h1><p>请稍后再访问。</p></body></html>".encode()


def test_inject_response_serves_an_exact_page() -> None:
    site = build_site(20, seed=5)
    spec = site.articles[2]
    with ReplicaServer(site, port=0) as server:
        url = server.base_url + spec.path
        real_status, real_headers, real_body = fetch(url)
        server.inject_response(spec.path, body=MAINTENANCE, times=2, headers={"Retry-After": "120"})
        for _ in range(2):  # even a conditional request gets the injected page, never a 304
            status, headers, body = fetch(url, {"If-None-Match": real_headers["ETag"]})
            assert status == 200 and body == MAINTENANCE
            assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Retry-After"] == "120"
            assert "ETag" not in headers and "Last-Modified" not in headers
        assert fetch(url)[::2] == (real_status, real_body)  # the two are used up
        assert fetch(url, {"If-None-Match": real_headers["ETag"]})[0] == 304

        # queued in order, any status and type; a query string is a different path
        server.inject_response(spec.path, status=503, body=b"busy", content_type="text/plain", times=1)
        server.inject_fault(spec.path, 500)
        assert fetch(url)[::2] == (503, b"busy")
        assert fetch(url)[::2] == (500, b"injected 500\n")
        assert fetch(url)[2] == real_body
        server.inject_response("/?p=1", body=b"q")
        assert fetch(server.base_url + "/?p=1")[2] == b"q"

        # times=None: until cleared
        server.inject_response("/wp-sitemap.xml", body=b"<html>maintenance</html>", times=None)
        for _ in range(3):
            assert fetch(server.base_url + "/wp-sitemap.xml")[2] == b"<html>maintenance</html>"
        server.inject_fault("/robots.txt", 503, times=None)
        server.clear_injections("/wp-sitemap.xml")
        assert b"<sitemapindex" in fetch(server.base_url + "/wp-sitemap.xml")[2]
        assert fetch(server.base_url + "/robots.txt")[0] == 503
        server.clear_injections()
        assert fetch(server.base_url + "/robots.txt")[0] == 200
        server.inject_response(spec.path, body=b"never", times=0)  # nothing to answer
        assert fetch(url)[2] == real_body
    assert ("GET", spec.path, 503) in server.request_log


def test_reposts_repeat_an_earlier_post_of_their_kind_with_a_line_added_and_one_cut():
    site = build_site(n_articles=100, seed=6)
    reposts = [spec for spec in site.articles if spec.repost_of]
    assert len(reposts) >= 2
    for spec in reposts:
        original = site.article(spec.repost_of)
        assert original.id < spec.id and original.kind == spec.kind and original.kind in ("news", "guide")
        copy = [block for chunk in site.body(spec) for block in chunk.blocks]
        first = [block for chunk in site.body(original) for block in chunk.blocks]
        assert copy[0].startswith("本文转载自") and copy[1:] == first[: len(copy) - 1]


def test_old_posts_embed_legacy_flash_players_and_their_gold_is_the_text_alone(monkeypatch) -> None:
    """Some 2015-2018 posts carry a flash player as editors pasted it (a bare <embed>, one in a centred
    paragraph, an <object> with <param> children, closed or never closed); no newer post does. The gold
    body is the same as without the player, and the reference reader still finds it in the page."""
    from itp6crawl.replica import site as site_module

    site = build_site(n_articles=200, seed=1)
    styles: Counter[str] = Counter()
    for spec in site.articles:
        style = site_module.flash_style(spec)
        if style is None:
            continue
        assert 2015 <= spec.published.year <= 2018, spec.id
        _, _, page = get(site, spec.path)
        content = page[page.index('<div class="entry-content') : page.index('<div class="entry-action')]
        assert 'type="application/x-shockwave-flash"' in content and ".swf" in content
        if style == "unclosed-object":
            assert "<object " in content and "</object>" not in content and "</embed>" not in content
        if style == "bare-embed":
            assert "<embed " in content and "</embed>" not in content and "<object" not in content
        assert read_body(page).result() == site.gold_article(spec, BASE)["body"], spec.id
        styles[style] += 1
    assert set(styles) == set(corpus.FLASH_STYLES) and sum(styles.values()) >= 10, styles
    # Without players, every body has the same text blocks.
    monkeypatch.setattr(site_module, "flash_style", lambda spec: None)
    plain = build_site(n_articles=200, seed=1)
    for spec, other in zip(site.articles, plain.articles, strict=True):
        blocks = [block for chunk in site.body(spec) for block in chunk.blocks]
        assert blocks == [block for chunk in plain.body(other) for block in chunk.blocks], spec.id
