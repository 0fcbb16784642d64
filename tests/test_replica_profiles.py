"""Replica server profiles (issue [10]): WordPress's HTTP manners, stable and new comments, core feeds, REST."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from itp6crawl.replica import ReplicaServer, Site, build_site
from itp6crawl.replica.profiles import FRIENDLY, PROFILES, Profile, get_profile
from itp6crawl.replica.site import rfc822

Fetched = tuple[int, dict[str, str], str]
HTML_PATHS = ("/", "/category/zhiliao", "/weixinqun/")
SITEMAP_PATHS = ("/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml")
FEED_PATHS = ("/feed/", "/feed/atom/", "/comments/feed/")


def fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET ``url`` with urllib; an HTTP error status (304, 400, 404) is returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode("utf-8")


def served(site: Site, profile: str | Profile) -> Iterator[ReplicaServer]:
    with ReplicaServer(site, profile=profile) as server:
        yield server


@pytest.fixture
def site() -> Site:
    return build_site(n_articles=60, seed=4)


@pytest.fixture
def wordpress(site: Site) -> Iterator[ReplicaServer]:
    yield from served(site, "wordpress")


@pytest.fixture
def rest(site: Site) -> Iterator[ReplicaServer]:
    yield from served(site, "wordpress-rest")


def titles(feed: str, tag: str = "item") -> list[str]:
    return re.findall(rf"<{tag}>.*?<title[^>]*>(.*?)</title>", feed, re.S)


def links(feed: str) -> list[str]:
    return re.findall(r"<item>.*?<link>(.*?)</link>", feed, re.S)


def shown_views(page: str) -> int:
    return int(re.search(r"阅读 (\d+)", page)[1])  # type: ignore[index]


def viewed_post(site: Site) -> int:
    """A post whose page shows its view count."""
    return next(a.id for a in site.articles if a.show_views)


# --------------------------------------------------------------------------- the table


def test_profiles_table_and_names() -> None:
    assert list(PROFILES) == ["friendly", "wordpress", "wordpress-rest", "cached"]
    assert Profile("friendly", True, True, False, False, True, False) == FRIENDLY
    assert PROFILES["wordpress"] == Profile("wordpress", False, False, True, False, True, False)
    assert PROFILES["wordpress-rest"] == Profile("wordpress-rest", False, False, True, True, True, False)
    assert PROFILES["cached"] == Profile("cached", True, False, False, False, True, True)
    assert get_profile("cached") is PROFILES["cached"]
    with pytest.raises(ValueError, match="friendly, wordpress, wordpress-rest, cached"):
        ReplicaServer(build_site(n_articles=3), profile="nginx")


def test_default_server_is_friendly(site: Site) -> None:
    server = ReplicaServer(site)
    try:
        assert server.profile is FRIENDLY
    finally:
        server.stop()
    custom = Profile("mine", True, True, False, False, False)
    server = ReplicaServer(site, profile=custom)
    try:
        assert server.profile is custom
    finally:
        server.stop()


# --------------------------------------------------------------------------- validators


def test_wordpress_sends_no_validators_on_html_and_sitemaps(site: Site, wordpress: ReplicaServer) -> None:
    base = wordpress.base_url
    future = rfc822(datetime.now(UTC) + timedelta(days=3650)).replace("+0000", "GMT")
    for path in (*HTML_PATHS, f"/{viewed_post(site)}.html", *SITEMAP_PATHS):
        status, headers, _ = fetch(base + path)
        assert status == 200, path
        assert "ETag" not in headers and "Last-Modified" not in headers, (path, headers)
        status, _, _ = fetch(base + path, {"If-Modified-Since": future, "If-None-Match": "*"})
        assert status == 200, path  # nothing to validate against: always the whole page


@pytest.mark.parametrize("profile", list(PROFILES))
def test_feeds_always_carry_validators_and_answer_304(site: Site, profile: str) -> None:
    post = next(a for a in site.articles if a.n_comments)
    with ReplicaServer(site, profile=profile) as server:
        for path in (*FEED_PATHS, f"/{post.id}.html/feed/"):
            status, headers, _ = fetch(server.base_url + path)
            assert status == 200 and headers["ETag"] and headers["Last-Modified"], (profile, path)
            assert fetch(server.base_url + path, {"If-None-Match": headers["ETag"]})[0] == 304
            assert fetch(server.base_url + path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


@pytest.mark.parametrize("profile", ["friendly", "cached"])
def test_friendly_and_cached_html_answer_304(site: Site, profile: str) -> None:
    with ReplicaServer(site, profile=profile) as server:
        for path in (*HTML_PATHS, f"/{viewed_post(site)}.html", *SITEMAP_PATHS):
            status, headers, _ = fetch(server.base_url + path)
            assert status == 200 and "ETag" in headers and "Last-Modified" in headers, (profile, path)
            assert fetch(server.base_url + path, {"If-None-Match": headers["ETag"]})[0] == 304


def test_feed_content_types(wordpress: ReplicaServer) -> None:
    assert fetch(wordpress.base_url + "/feed/")[1]["Content-Type"] == "application/rss+xml; charset=UTF-8"
    assert fetch(wordpress.base_url + "/feed/atom/")[1]["Content-Type"] == "application/atom+xml; charset=UTF-8"
    assert fetch(wordpress.base_url + "/comments/feed/")[1]["Content-Type"] == "application/rss+xml; charset=UTF-8"


# --------------------------------------------------------------------------- the view counter


def test_wordpress_counts_a_view_on_every_fetch(site: Site, wordpress: ReplicaServer) -> None:
    post_id = viewed_post(site)
    spec = site.article(post_id)
    assert spec is not None
    modified, fingerprint = spec.modified, site.fingerprint(post_id)
    url = f"{wordpress.base_url}/{post_id}.html"
    first, second = fetch(url)[2], fetch(url)[2]
    assert first != second
    assert shown_views(second) == shown_views(first) + 1
    assert spec.modified == modified and site.fingerprint(post_id) == fingerprint
    urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10).close()
    assert shown_views(fetch(url)[2]) == shown_views(second) + 1  # a HEAD counts nothing


@pytest.mark.parametrize("profile", ["friendly", "cached"])
def test_no_view_counter_outside_wordpress(site: Site, profile: str) -> None:
    post_id = viewed_post(site)
    with ReplicaServer(site, profile=profile) as server:
        url = f"{server.base_url}/{post_id}.html"
        first, second = fetch(url), fetch(url)
    assert first[2] == second[2] and first[1]["ETag"] == second[1]["ETag"]


def test_cached_validators_change_with_comments_only(site: Site) -> None:
    spec = next(a for a in site.articles if a.show_views)
    with ReplicaServer(site, profile="cached") as server:
        url = f"{server.base_url}/{spec.id}.html"
        _, before, _ = fetch(url)
        assert fetch(url, {"If-None-Match": before["ETag"]})[0] == 304
        assert fetch(url, {"If-Modified-Since": before["Last-Modified"]})[0] == 304
        site.add_comment(spec.id, site.now + timedelta(hours=1))
        status, after, _ = fetch(url, {"If-Modified-Since": before["Last-Modified"]})
        assert status == 200 and after["ETag"] != before["ETag"]
        assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(before["Last-Modified"])
    with ReplicaServer(site, profile="friendly") as server:  # WordPress's own Last-Modified says modified
        _, friendly, _ = fetch(f"{server.base_url}/{spec.id}.html")
        assert friendly["Last-Modified"] == before["Last-Modified"]


# --------------------------------------------------------------------------- sitemaps


@pytest.mark.parametrize(("profile", "lastmod"), [("friendly", True), ("wordpress", False), ("cached", False)])
def test_sitemap_lastmod_by_profile(site: Site, profile: str, lastmod: bool) -> None:
    with ReplicaServer(site, profile=profile) as server:
        _, _, sitemap = fetch(server.base_url + "/wp-sitemap-posts-post-1.xml")
    assert sitemap.count("<url>") == sum(a.listed and a.in_sitemap for a in site.articles)
    assert ("<lastmod>" in sitemap) is lastmod


# --------------------------------------------------------------------------- comments


def test_comments_stay_put_while_the_clock_moves(site: Site) -> None:
    before = {a.id: site.comments(a) for a in site.articles if a.n_comments}
    page_before = site.gold_article(site.article(next(iter(before))), "http://x")["comments"]  # type: ignore[arg-type]
    site.now += timedelta(days=90)
    assert {a.id: site.comments(a) for a in site.articles if a.n_comments} == before
    assert site.gold_article(site.article(next(iter(before))), "http://x")["comments"] == page_before  # type: ignore[arg-type]
    assert all(c["time"] <= site.built_at for comments in before.values() for c in comments)  # type: ignore[operator]


def test_add_comment_shows_on_the_page_and_first_in_the_comments_feed(site: Site, wordpress: ReplicaServer) -> None:
    spec = next(a for a in site.articles if not a.n_comments)
    used = max(c["comment_id"] for a in site.articles for c in site.comments(a))  # type: ignore[type-var]
    modified = spec.modified
    site.now += timedelta(days=2)
    comment = site.add_comment(spec.id, text="谢谢分享,我也在吃药观察中。")
    assert comment["comment_id"] > used and comment["time"] == site.now
    assert set(comment) == {"author", "time", "text", "comment_id", "parent_id"}
    assert spec.modified == modified and spec.n_comments == 1
    _, _, page = fetch(f"{wordpress.base_url}/{spec.id}.html")
    assert f'id="comment-{comment["comment_id"]}"' in page and "谢谢分享,我也在吃药观察中。" in page
    assert "评论列表(1条)" in page
    _, _, feed = fetch(wordpress.base_url + "/comments/feed/")
    first = re.search(r"<item>(.*?)</item>", feed, re.S)[1]  # type: ignore[index]
    url = f"{wordpress.base_url}/{spec.id}.html#comment-{comment['comment_id']}"
    assert f"<title>评论：{spec.title}</title>" in first and f"<link>{url}</link>" in first
    assert f'<guid isPermaLink="false">{url}</guid>' in first and "谢谢分享" in first
    assert f"<lastBuildDate>{rfc822(site.now)}</lastBuildDate>" in feed


def test_replies_join_their_thread_and_ids_keep_growing(site: Site) -> None:
    spec = next(a for a in site.articles if a.n_comments >= 3)
    root = site.comments(spec)[0]
    first = site.add_comment(spec.id)
    reply = site.add_comment(spec.id, parent_id=int(root["comment_id"]))  # type: ignore[call-overload]
    nested = site.add_comment(spec.id, parent_id=int(reply["comment_id"]))  # type: ignore[call-overload]
    assert first["comment_id"] < reply["comment_id"] < nested["comment_id"]
    order = [c["comment_id"] for c in site.comments(spec)]
    assert order[-1] == first["comment_id"]  # a new thread goes last
    thread_end = order.index(root["comment_id"]) + 1
    while site.comments(spec)[thread_end]["parent_id"] is not None:
        thread_end += 1
    assert order[thread_end - 2 : thread_end] == [reply["comment_id"], nested["comment_id"]]
    with pytest.raises(ValueError):
        site.add_comment(spec.id, parent_id=1)
    other = next(a for a in site.articles if a.id != spec.id)
    assert site.add_comment(other.id)["comment_id"] == int(nested["comment_id"]) + 1  # type: ignore[call-overload]


def test_deleted_posts_leave_the_feeds(site: Site, wordpress: ReplicaServer) -> None:
    newest = site.feed_posts()[0]
    site.add_comment(newest.id, site.now + timedelta(minutes=5))
    site.remove_article(newest.id)
    for path in FEED_PATHS:
        assert f"/{newest.id}.html" not in fetch(wordpress.base_url + path)[2], path
    assert fetch(f"{wordpress.base_url}/{newest.id}.html/feed/")[0] == 404


# --------------------------------------------------------------------------- feeds


def test_feed_pages(site: Site, wordpress: ReplicaServer) -> None:
    listed = site.feed_posts()
    base = wordpress.base_url
    seen: list[str] = []
    page = 1
    while True:
        status, _, feed = fetch(f"{base}/feed/?paged={page}")
        if status == 404:
            break
        assert status == 200 and 'xmlns:slash="http://purl.org/rss/1.0/modules/slash/"' in feed
        seen += links(feed)
        page += 1
    assert seen == [a.url(base) for a in listed] and page == -(-len(listed) // 10) + 1
    _, _, first = fetch(f"{base}/feed/")
    assert len(links(first)) == 10
    newest_modified = max(a.modified for a in site.articles)
    assert f"<lastBuildDate>{rfc822(newest_modified)}</lastBuildDate>" in first
    item = re.search(r"<item>(.*?)</item>", first, re.S)[1]  # type: ignore[index]
    top = listed[0]
    for part in ("<title>", "<pubDate>", "<dc:creator>", "<guid", "<description>"):
        assert part in item
    assert f"<slash:comments>{top.n_comments}</slash:comments>" in item
    assert f"<pubDate>{rfc822(top.published)}</pubDate>" in item


def test_atom_feed(site: Site, wordpress: ReplicaServer) -> None:
    base = wordpress.base_url
    _, _, atom = fetch(base + "/feed/atom/")
    entries = re.findall(r"<entry>(.*?)</entry>", atom, re.S)
    assert len(entries) == 10
    top = site.feed_posts()[0]
    assert f'<link rel="alternate" type="text/html" href="{top.url(base)}"/>' in entries[0]
    updated = top.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"<updated>{updated}</updated>" in entries[0] and "<published>" in entries[0] and "<id>" in entries[0]
    assert fetch(base + "/feed/atom/?paged=99")[0] == 404


def test_feeds_order_by_modified(site: Site, wordpress: ReplicaServer) -> None:
    base = wordpress.base_url
    old = site.feed_posts()[-1]
    site.update_article(old.id, modified=site.now + timedelta(hours=1))
    _, _, by_date = fetch(base + "/feed/")
    _, _, by_modified = fetch(base + "/feed/?orderby=modified")
    assert old.url(base) not in links(by_date) and links(by_modified)[0] == old.url(base)
    expected = sorted(site.feed_posts(), key=lambda a: (a.modified, a.id), reverse=True)
    assert links(by_modified) == [a.url(base) for a in expected[:10]]
    _, _, ascending = fetch(base + "/feed/?orderby=modified&order=ASC")
    assert links(ascending) == [a.url(base) for a in expected[::-1][:10]]
    _, _, atom2 = fetch(base + "/feed/atom/?orderby=modified&paged=2")
    hrefs = re.findall(r'<entry>.*?<link rel="alternate" type="text/html" href="([^"]+)"/>', atom2)
    assert hrefs == [a.url(base) for a in expected[10:20]]


def test_feed_orderby_ignored_when_the_profile_says_so(site: Site) -> None:
    plain = Profile("no-orderby", True, True, False, False, feed_orderby=False)
    old = site.feed_posts()[-1]
    site.update_article(old.id, modified=site.now + timedelta(hours=1))
    with ReplicaServer(site, profile=plain) as server:
        assert fetch(server.base_url + "/feed/?orderby=modified")[2] == fetch(server.base_url + "/feed/")[2]


def test_comments_feed_pages_newest_first(site: Site, wordpress: ReplicaServer) -> None:
    every = site.all_comments()
    assert len(every) > 10
    times = [c["time"] for _, c in every]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    base = wordpress.base_url
    _, _, page2 = fetch(base + "/comments/feed/?paged=2")
    expected = [f"{base}/{post}.html#comment-{c['comment_id']}" for post, c in every[10:20]]
    assert links(page2) == expected
    assert fetch(base + f"/comments/feed/?paged={len(every) // 10 + 2}")[0] == 404
    post = next(a for a in site.articles if a.n_comments >= 2)
    _, _, own = fetch(f"{base}/{post.id}.html/feed/")
    assert len(links(own)) == post.n_comments and all(f"/{post.id}.html#comment-" in link for link in links(own))


# --------------------------------------------------------------------------- REST


def rest_get(server: ReplicaServer, route: str) -> tuple[int, dict[str, str], object]:
    status, headers, body = fetch(f"{server.base_url}/wp-json/{route}")
    return status, headers, json.loads(body)


def test_rest_is_off_unless_the_profile_turns_it_on(site: Site, wordpress: ReplicaServer) -> None:
    for route in ("", "wp/v2/posts", "wp/v2/comments"):
        status, _, body = rest_get(wordpress, route)
        assert status == 404 and body["code"] == "rest_no_route"  # type: ignore[index]


def test_rest_index_and_posts(site: Site, rest: ReplicaServer) -> None:
    status, _, index = rest_get(rest, "")
    assert status == 200 and "wp/v2" in index["namespaces"]  # type: ignore[index]
    status, headers, posts = rest_get(rest, "wp/v2/posts")
    total = len(site.articles)
    assert status == 200 and headers["Content-Type"] == "application/json; charset=UTF-8" and "ETag" not in headers
    assert headers["X-WP-Total"] == str(total) and headers["X-WP-TotalPages"] == str(-(-total // 10))
    assert 'rel="next"' in headers["Link"] and "page=2" in headers["Link"]
    newest = sorted(site.articles, key=lambda a: (a.published, a.id), reverse=True)
    assert [p["id"] for p in posts] == [a.id for a in newest[:10]]  # type: ignore[union-attr,index]
    first = posts[0]  # type: ignore[index]
    spec = newest[0]
    assert first["date"] == spec.published.strftime("%Y-%m-%dT%H:%M:%S")
    assert first["date_gmt"] == spec.published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert first["modified_gmt"] == spec.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert first["link"] == spec.url(rest.base_url) and first["title"] == {"rendered": spec.title}
    assert first["comment_status"] == "open"
    last_page = -(-total // 10)
    _, headers, posts = rest_get(rest, f"wp/v2/posts?page={last_page}")
    assert len(posts) == total - (last_page - 1) * 10 and 'rel="next"' not in headers.get("Link", "")  # type: ignore[arg-type]


def test_rest_posts_parameters(site: Site, rest: ReplicaServer) -> None:
    cut = sorted(a.modified for a in site.articles)[-7]
    after = cut.strftime("%Y-%m-%dT%H:%M:%S")  # no offset: site-local time, as WordPress reads it
    status, headers, posts = rest_get(rest, f"wp/v2/posts?modified_after={after}&orderby=modified&order=asc")
    expected = sorted((a for a in site.articles if a.modified > cut), key=lambda a: (a.modified, a.id))
    assert status == 200 and [p["id"] for p in posts] == [a.id for a in expected]  # type: ignore[union-attr,index]
    assert headers["X-WP-Total"] == str(len(expected))
    _, _, posts = rest_get(rest, "wp/v2/posts?per_page=100&orderby=id&order=asc&_fields=id,modified")
    assert [p["id"] for p in posts] == sorted(a.id for a in site.articles)  # type: ignore[union-attr,index]
    assert all(set(p) == {"id", "modified"} for p in posts)  # type: ignore[union-attr,arg-type]
    published_cut = sorted(a.published for a in site.articles)[-3]
    after = published_cut.isoformat()
    _, _, posts = rest_get(rest, f"wp/v2/posts?after={after.replace('+', '%2B')}")
    assert len(posts) == 2  # type: ignore[arg-type]
    _, headers, _ = rest_get(rest, "wp/v2/posts?per_page=5&page=2")
    assert f'<{rest.base_url}/wp-json/wp/v2/posts?per_page=5&page=3>; rel="next"' in headers["Link"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("per_page=0", "rest_invalid_param"),
        ("per_page=101", "rest_invalid_param"),
        ("per_page=abc", "rest_invalid_param"),
        ("orderby=views", "rest_invalid_param"),
        ("order=up", "rest_invalid_param"),
        ("modified_after=yesterday", "rest_invalid_param"),
        ("page=99", "rest_post_invalid_page_number"),
    ],
)
def test_rest_posts_errors(rest: ReplicaServer, query: str, code: str) -> None:
    status, headers, body = rest_get(rest, f"wp/v2/posts?{query}")
    assert status == 400 and body["code"] == code and body["data"]["status"] == 400  # type: ignore[index]
    assert headers["Content-Type"] == "application/json; charset=UTF-8"


def test_rest_comments(site: Site, rest: ReplicaServer) -> None:
    spec = next(a for a in site.articles if a.n_comments >= 2)
    site.now += timedelta(days=1)
    new = site.add_comment(spec.id, text="复查血小板又升了一点。")
    status, headers, comments = rest_get(rest, "wp/v2/comments?per_page=5")
    assert status == 200 and headers["X-WP-Total"] == str(len(site.all_comments()))
    first = comments[0]  # type: ignore[index]
    assert first["id"] == new["comment_id"] and first["post"] == spec.id and first["parent"] == 0
    assert first["link"] == f"{rest.base_url}/{spec.id}.html#comment-{new['comment_id']}"
    assert first["content"]["rendered"].startswith("<p>复查血小板又升了一点。</p>")
    assert first["date"] == site.now.strftime("%Y-%m-%dT%H:%M:%S") and first["author_name"] == new["author"]
    _, _, own = rest_get(rest, f"wp/v2/comments?post={spec.id}&orderby=id&order=asc")
    assert [c["id"] for c in own] == sorted(int(c["comment_id"]) for c in site.comments(spec))  # type: ignore[union-attr,index]
    after = (site.now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    _, _, recent = rest_get(rest, f"wp/v2/comments?after={after}&_fields=id,post")
    assert recent == [{"id": new["comment_id"], "post": spec.id}]
    assert rest_get(rest, "wp/v2/comments?per_page=500")[0] == 400
    assert rest_get(rest, "wp/v2/comments?page=9999")[2]["code"] == "rest_comment_invalid_page_number"  # type: ignore[index]
