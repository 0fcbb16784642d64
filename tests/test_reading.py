from itp6crawl.extract import ExtractOptions
from itp6crawl.reading import NO_POST_ID, read_page
from itp6crawl.replica import DEFAULT_NOW, build_site
from itp6crawl.text import segment_article
from itp6crawl.urls import rebase_article

REPLICA = "http://127.0.0.1:8123"
CANONICAL = "https://www.itp6.com"


def test_a_page_is_read_into_its_rebased_article_its_search_columns_and_the_links_to_follow():
    site = build_site(n_articles=8, seed=4)
    spec = site.articles[3]
    html = site.render(spec.path, REPLICA)[2]
    reading = read_page(html, spec.url(REPLICA), ExtractOptions(fetched_at=DEFAULT_NOW, canonical_site=CANONICAL))
    assert reading.error is None and reading.article is not None
    assert reading.article.url == f"{CANONICAL}/{spec.id}.html"
    assert all(link.url.startswith(CANONICAL) for link in reading.article.related)
    assert reading.segments == segment_article(reading.article)
    gold = next(entry for entry in site.gold(REPLICA) if entry["id"] == spec.id)
    expected = {entry["url"] for entry in gold["related"] if entry["url"].endswith(".html")}
    expected |= {url for url in (gold["prev_url"], gold["next_url"]) if url}
    assert set(reading.followed) == expected  # as served, on the replica: the spider requests them there


def test_a_page_without_an_article_keeps_its_links_and_says_why():
    page = f"""<html><body class="home"><a href="{REPLICA}/16003.html">甲</a></body></html>""".encode()
    reading = read_page(page, f"{REPLICA}/", ExtractOptions(canonical_site=CANONICAL))
    assert reading.article is None and reading.segments is None
    assert reading.error == "not an article page: the home page (body class 'home')"
    assert reading.followed == [f"{REPLICA}/16003.html"]


def test_an_article_without_a_post_id_is_not_read_further():
    page = "<html><head><title>标题</title></head><body><h1>标题</h1><p>" + "血小板" * 80 + "</p></body></html>"
    reading = read_page(page.encode(), f"{REPLICA}/about/", ExtractOptions(canonical_site=CANONICAL))
    assert reading.article is None and reading.error == NO_POST_ID and reading.segments is None


def test_rebasing_happens_before_segmentation_and_changes_no_search_column():
    site = build_site(n_articles=3, seed=4)
    spec = site.articles[0]
    html = site.render(spec.path, REPLICA)[2]
    reading = read_page(html, spec.url(REPLICA), ExtractOptions(canonical_site=CANONICAL))
    as_served = read_page(html, spec.url(REPLICA), ExtractOptions(canonical_site=REPLICA))
    assert reading.segments == as_served.segments
    assert rebase_article(as_served.article, spec.url(REPLICA), CANONICAL) == reading.article


def test_a_worker_process_imports_neither_scrapy_nor_the_store():
    """What a worker imports to read pages (the fork server preloads it): no reactor, no SQLite layer."""
    import subprocess
    import sys

    code = "import sys, itp6crawl.reading; print(sorted({'scrapy', 'twisted', 'sqlite_utils'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
