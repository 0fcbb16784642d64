"""Theme rules on replica pages: every field equal to the gold, boilerplate gone, traps kept."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime, timedelta

import pytest
from conftest import extraction_scope

from itp6crawl.extract import ExtractOptions, extract_article
from itp6crawl.extract.boilerplate import is_notice_line
from itp6crawl.replica import DEFAULT_NOW, build_site, corpus
from itp6crawl.replica.site import flash_style
from itp6crawl.times import CST

BASE = "https://www.itp6.com"


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=80, seed=3)


@pytest.fixture(scope=extraction_scope)
def pages(site):
    """(spec, gold, html bytes, Article) for every article."""
    gold = {g["id"]: g for g in site.gold(BASE)}
    out = []
    for spec in site.articles:
        _, _, body = site.render(spec.path, BASE)
        out.append(
            (spec, gold[spec.id], body, extract_article(body, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)))
        )
    return out


FIELDS = [
    "id",
    "url",
    "title",
    "author",
    "credit",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "summary",
    "views",
    "likes",
    "prev_url",
    "next_url",
    "prev_title",
    "next_title",
]


def test_both_theme_versions_are_recognised(pages):
    assert {article.theme for *_, article in pages} == {"justnews6", "justnews5"}
    assert {article.extractor for *_, article in pages} == {"theme"}


@pytest.mark.parametrize("field", FIELDS)
def test_metadata_field_equals_gold(pages, field):
    for spec, gold, _, article in pages:
        value = {
            "prev_title": article.prev and article.prev.title,
            "next_title": article.next and article.next.title,
        }.get(field, getattr(article, field, None))
        if field in ("prev_url", "next_url"):
            value = getattr(article, field)
        assert value == gold[field], (spec.id, field)


def test_body_text_equals_gold(pages):
    for spec, gold, _, article in pages:
        assert article.body_text == "\n\n".join(gold["body"]), spec.id


def test_images_related_and_comments_equal_gold(pages):
    for spec, gold, _, article in pages:
        assert [asdict(image) for image in article.images] == gold["images"], spec.id
        assert [(r.url, r.title, r.date) for r in article.related] == [
            (r["url"], r["title"], r["date"]) for r in gold["related"]
        ], spec.id
        assert [asdict(c) for c in article.comments] == gold["comments"], spec.id


def test_posts_with_a_legacy_flash_player_keep_their_whole_body(pages):
    """Old posts embed flash players in every style the replica has (a bare <embed>, an unclosed <object>
    ...): each body is its gold, every paragraph after the player included, and no player in the HTML."""
    styles = set()
    for spec, gold, _, article in pages:
        style = flash_style(spec)
        if style is not None:
            styles.add(style)
            assert article.body_text == "\n\n".join(gold["body"]), (spec.id, style)
            assert not re.search(r"<(embed|object|param)\b", article.body_html), spec.id
            assert article.credit == spec.credit and article.tags == gold["tags"], spec.id
    assert styles == set(corpus.FLASH_STYLES)


def test_plain_notice_paragraphs_at_the_end_are_removed_and_credit_kept(pages):
    old_posts = [(spec, article) for spec, _, _, article in pages if spec.copyright in ("plain", "both")]
    assert old_posts, "the replica should have old posts with plain notice paragraphs"
    for spec, article in old_posts:
        assert not any(is_notice_line(line) for line in article.body_text.split("\n\n")), spec.id
        assert article.credit == spec.credit


def test_visible_date_is_used_when_there_is_no_datetime_attribute(site, pages):
    without = [
        (spec, gold, body)
        for spec, gold, body, _ in pages
        if not spec.show_datetime and DEFAULT_NOW - spec.published > timedelta(days=7)
    ]
    assert without
    for spec, gold, body in without:
        # Take the head's dates away too, so only the visible Chinese date is left.
        html = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", body, flags=re.S)
        html = re.sub(rb'<meta property="article:(published|modified)_time"[^>]*>', b"", html)
        published = extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)).published_at
        assert published is not None and published[:16] == gold["published_at"][:16], spec.id  # shown to the minute


def test_relative_visible_date_resolves_against_the_fetch_time(pages):
    recent = [(spec, body) for spec, _, body, _ in pages if DEFAULT_NOW - spec.published < timedelta(days=7)]
    assert recent, "the replica should show relative dates for posts under a week old"
    spec, body = recent[0]
    html = re.sub(rb' datetime="[^"]*"', b"", body)
    html = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", html, flags=re.S)
    html = re.sub(rb'<meta property="article:(published|modified)_time"[^>]*>', b"", html)
    article = extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    later = extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=datetime(2030, 1, 1, tzinfo=CST)))
    # 3天前 is only precise to the day (WordPress rounds), so now - 3 days is right within a day.
    assert abs(datetime.fromisoformat(article.published_at) - spec.published) <= timedelta(days=1)
    assert later.published_at is not None and later.published_at.startswith("2029-12")


def test_trap_sentences_that_mention_chrome_words_stay(pages):
    trapped = [(spec, gold, article) for spec, gold, _, article in pages if spec.trap is not None]
    assert trapped
    chrome_words = ("相关推荐", "打赏", "上一篇", "下一篇", "联系我们", "微信扫一扫")
    for spec, gold, article in trapped:
        words = [w for w in chrome_words if w in "\n\n".join(gold["body"])]
        assert words, spec.id
        for word in words:
            assert article.body_text.count(word) == "\n\n".join(gold["body"]).count(word), (spec.id, word)


def test_body_html_is_clean(pages):
    for spec, _, _, article in pages:
        html = article.body_html
        assert not re.search(r"<(script|style|iframe|form|noscript)\b", html), spec.id
        assert not re.search(r"\son\w+=|\sclass=|\sstyle=|\sid=", html), spec.id
        assert "entry-copyright" not in html and "文章版权归作者所有" not in html
        for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', html):
            assert src.startswith("https://"), (spec.id, src)
        for href in re.findall(r'<a[^>]*\shref="([^"]+)"', html):
            assert href.startswith(("https://", "http://")), (spec.id, href)


def test_lazy_images_use_the_real_source(pages):
    lazy = [(spec, article) for spec, _, _, article in pages if spec.image_style == "lazy" and article.images]
    assert lazy
    for spec, article in lazy:
        for image in article.images:
            assert "data:image" not in image.src and "lazy.png" not in image.src, spec.id
            assert f'src="{image.src}"' in article.body_html, spec.id


def test_image_alt_and_caption_are_not_in_the_text(pages):
    for spec, gold, _, article in pages:
        for image in article.images:
            if image.caption and image.caption not in "\n\n".join(gold["body"]):
                assert image.caption not in article.body_text, spec.id


def _one_page(site, pick):
    spec = next(spec for spec in site.articles if pick(spec))
    return spec, site.render(spec.path, BASE)[2].decode("utf-8")


def _set_body(html: str, inner: str) -> str:
    """Replace the paragraphs of entry-content (keeping its entry-copyright div) with ``inner``."""
    start = html.index(">", html.index('<div class="entry-content')) + 1
    end = html.index('<div class="entry-copyright"', start)
    return html[:start] + inner + html[end:]


def test_a_body_that_ends_with_authors_or_a_source_link_keeps_them(site):
    spec, html = _one_page(site, lambda s: s.theme == "justnews6" and s.copyright == "div")
    html = _set_body(
        html, "<p>一项新研究发表。</p><p>作者：Zhang Y, Li X, et al.</p><p>链接：https://pubmed.example/123/</p>"
    )
    article = extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.body_text == "一项新研究发表。\n\n作者：Zhang Y, Li X, et al.\n\n链接：https://pubmed.example/123/"
    assert article.credit == spec.credit  # still read from the entry-copyright block


def test_classic_wordpress_captions_stay_out_of_the_text(site):
    spec, html = _one_page(site, lambda s: s.theme == "justnews6")
    figure = (
        '<div class="wp-caption aligncenter"><img src="/wp-content/uploads/x.jpg" alt="化验单">'
        '<p class="wp-caption-text">复查时的化验单</p></div>'
    )
    article = extract_article(
        _set_body(html, f"<p>正文一段。</p>{figure}"), spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)
    )
    assert article.body_text == "正文一段。"
    assert [(i.src, i.alt, i.caption) for i in article.images] == [
        (f"{BASE}/wp-content/uploads/x.jpg", "化验单", "复查时的化验单")
    ]
    assert "<figcaption>复查时的化验单</figcaption>" in article.body_html


def test_an_image_only_post_stays_a_theme_article(site):
    spec, html = _one_page(site, lambda s: s.theme == "justnews6")
    html = _set_body(
        html, '<figure class="wp-caption"><img src="/a.png" alt="一图读懂"><figcaption>一图读懂</figcaption></figure>'
    )
    article = extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.extractor == "theme" and article.body_text == "" and len(article.images) == 1
    assert article.related and article.title == spec.title


def test_views_shown_as_thousands(site):
    spec, html = _one_page(site, lambda s: s.show_views)
    html = re.sub(r"阅读 \d+", "阅读 1.2K", html, count=1)
    assert extract_article(html, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)).views == 1200


def test_a_comment_whose_id_holds_a_quote_is_read_like_any_other(site, pages):
    """The comment id goes into the XPath as a variable, not as text: a quote in it cannot break the
    expression (it did: an id like comment-1'2 made extraction crash)."""
    spec, _, body, article = next(p for p in pages if len(p[3].comments) >= 2)
    html = body.decode("utf-8")
    first_id = f"comment-{article.comments[0].comment_id}"
    assert html.count(f'id="{first_id}"') == 1
    html = html.replace(f'id="{first_id}"', f'id="{first_id}&apos;x"')
    again = extract_article(html.encode("utf-8"), spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert [c.text for c in again.comments] == [c.text for c in article.comments]
    assert again.comments[0].comment_id == article.comments[0].comment_id


def test_a_page_without_any_notice_has_no_credit(site):
    spec, html = _one_page(site, lambda s: s.copyright == "div")
    start = html.index('<div class="entry-copyright"')
    end = html.index("</div>", start) + len("</div>")
    article = extract_article(html[:start] + html[end:], spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.extractor == "theme" and article.credit == "" and article.title == spec.title


def test_a_notice_block_after_the_content_still_gives_the_credit(site):
    """A theme variant may put the notice after entry-content rather than inside it: still the credit."""
    spec, html = _one_page(site, lambda s: s.copyright == "div")
    start = html.index('<div class="entry-copyright"')
    end = html.index("</div>", start) + len("</div>")
    notice, html = html[start:end], html[:start] + html[end:]
    tags = html.index('<div class="entry-tag"')
    article = extract_article(
        html[:tags] + notice + html[tags:], spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)
    )
    assert article.extractor == "theme" and article.credit == spec.credit
    assert "谨慎参阅" not in article.body_text
