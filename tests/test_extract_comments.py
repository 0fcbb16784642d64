"""Comments keep their author, time and text on the theme's real comment markup (JustNews 6.x, as
../shared/itp6-site.md records it, and the 5.x callback), on older variants, and on replica pages."""

from __future__ import annotations

from dataclasses import asdict

import lxml.html
import pytest

from itp6crawl.extract import ExtractOptions, extract_article
from itp6crawl.records import Comment
from itp6crawl.replica import DEFAULT_NOW, build_site

BASE = "https://www.itp6.com"
URL = f"{BASE}/16001.html"
BODY = "<p>" + "确诊之后按时复查血小板,医生建议先观察。" * 4 + "</p>"


def _page(comments_html: str, theme: str = "justnews6") -> str:
    """A minimal JustNews article page around ``comments_html`` (the ``ul.comments-list`` items)."""
    wrapper = "entry-main" if theme == "justnews6" else "entry"
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="UTF-8"><title>标题 - ITP6病友网</title></head>
<body><article id="post-16001" class="post-16001 post type-post"><div class="{wrapper}">
<div class="entry-head"><h1 class="entry-title">标题</h1></div>
<div class="entry-content">{BODY}</div></div>
<div id="comments" class="entry-comments"><div id="respond" class="comment-respond"><h3>发表回复</h3>
<div class="comment-must-login">请登录后评论...</div></div>
<h3 class="comments-title"> 评论列表(2条)</h3><ul class="comments-list">{comments_html}</ul></div>
</article></body></html>"""


# The live site's markup (6.x), as itp6-site.md describes it: the avatar alone in div.comment-author.vcard,
# the name a user-card link in div.nickname beside span.comment-time.
REAL_6X = """<li class="comment even thread-even depth-1 parent" id="comment-501">
<div class="comment-inner">
<div class="comment-author vcard"><img alt="小雨点" src="/avatar/1.png" class="avatar avatar-60 photo" height="60">
</div>
<div class="comment-body">
<div class="nickname"><a class="j-user-card" data-user="107" href="/author/u107" target="_blank">小雨点</a>
<span class="comment-time">2024年5月1日 下午8:01</span></div>
<div class="comment-text"><p>谢谢分享,很受鼓舞!</p>
</div>
</div>
<div class="reply"><a rel="nofollow" class="comment-reply-login" href="/login/">回复</a></div>
</div>
<ul class="children">
<li class="comment byuser depth-2" id="comment-502">
<div class="comment-inner">
<div class="comment-author vcard"><img alt="" src="/avatar/2.png" class="avatar avatar-60 photo"></div>
<div class="comment-body">
<div class="nickname">游客<span class="comment-time">2024年5月2日 上午9:15</span></div>
<div class="comment-text"><p>一起加油,</p><p>会好起来的!</p></div>
</div>
<div class="reply"><a rel="nofollow" class="comment-reply-login" href="/login/">回复</a></div>
</div>
</li>
</ul>
</li>"""
REAL_6X_COMMENTS = [
    Comment("小雨点", "谢谢分享,很受鼓舞!", "2024-05-01T20:01:00+08:00", 501, None),
    Comment("游客", "一起加油,\n\n会好起来的!", "2024-05-02T09:15:00+08:00", 502, 501),
]

# 5.x (WPCOM themer's comment callback): div#div-comment-N instead of div.comment-inner, the name a
# plain link or text.
REAL_5X = """<li class="comment even thread-even depth-1" id="comment-301">
<div id="div-comment-301">
<div class="comment-author vcard"><img alt="" src="/avatar/3.png" class="avatar avatar-60 photo"></div>
<div class="comment-body">
<div class="nickname"><a href="/author/u114" target="_blank">向日葵</a>
<span class="comment-time">2017年3月9日 上午12:05</span></div>
<div class="comment-text"><p>请问艾曲泊帕吃了多久开始起效的?</p></div>
</div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" href="?replytocom=301">回复</a></div>
</div>
</li>
<li class="comment odd thread-odd depth-1" id="comment-302">
<div id="div-comment-302">
<div class="comment-author vcard"><img alt="" src="/avatar/4.png" class="avatar avatar-60 photo"></div>
<div class="comment-body">
<div class="nickname">Tony_ITP <span class="comment-time">2017年3月10日 下午12:30</span></div>
<div class="comment-text"><p>大概三周左右,每个人不一样。</p></div>
</div>
</div>
</li>"""
REAL_5X_COMMENTS = [
    Comment("向日葵", "请问艾曲泊帕吃了多久开始起效的?", "2017-03-09T00:05:00+08:00", 301, None),
    Comment("Tony_ITP", "大概三周左右,每个人不一样。", "2017-03-10T12:30:00+08:00", 302, None),
]

# Variants seen elsewhere: the name in span.nickname inside a head block, the avatar in comment-avatar;
# WordPress core's cite.fn inside div.comment-author.vcard with the time in a link.
OTHER_VARIANTS = """<li class="comment" id="comment-11"><div class="comment-inner">
<div class="comment-avatar vcard"><img alt="糖糖爸爸" src="/avatar/5.png"></div>
<div class="comment-body"><div class="comment-head"><span class="nickname">糖糖爸爸</span>
<span class="comment-time">2019年1月2日 下午3:04</span></div>
<div class="comment-text"><p>学习了,收藏。</p></div></div></div></li>
<li class="comment" id="comment-12"><div class="comment-body">
<div class="comment-author vcard"><img alt="" src="/avatar/6.png">
<cite class="fn"><a href="http://x.example/">Lily</a></cite>
<span class="says">说道：</span></div>
<div class="comment-meta"><a href="#comment-12">
<time datetime="2019-01-03T07:08:00+08:00">2019年1月3日 上午7:08</time></a></div>
<div class="comment-text"><p>写得很详细。</p></div></div></li>"""
OTHER_COMMENTS = [
    Comment("糖糖爸爸", "学习了,收藏。", "2019-01-02T15:04:00+08:00", 11, None),
    Comment("Lily", "写得很详细。", "2019-01-03T07:08:00+08:00", 12, None),
]


@pytest.mark.parametrize(
    "items,theme,expected",
    [
        (REAL_6X, "justnews6", REAL_6X_COMMENTS),
        (REAL_5X, "justnews5", REAL_5X_COMMENTS),
        (OTHER_VARIANTS, "justnews6", OTHER_COMMENTS),
    ],
    ids=["justnews6", "justnews5", "other-variants"],
)
def test_each_comment_keeps_its_author_time_and_text(items, theme, expected):
    article = extract_article(_page(items, theme), URL, ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.theme == theme
    assert article.comments == expected
    assert all(c.text not in article.body_text for c in expected)


def test_the_time_beside_the_name_is_never_part_of_the_name():
    """The name's element (div.nickname) holds the time too: the author is the name alone, also when the
    name is bare text with no element of its own."""
    for items in (REAL_6X, REAL_5X):
        for comment in extract_article(_page(items), URL, ExtractOptions(fetched_at=DEFAULT_NOW)).comments:
            assert comment.author and "年" not in comment.author and ":" not in comment.author


def test_an_empty_name_in_the_nickname_falls_back_to_the_avatar_alt_text():
    items = REAL_6X.replace(">小雨点</a>", "></a>", 1)
    first = extract_article(_page(items), URL, ExtractOptions(fetched_at=DEFAULT_NOW)).comments[0]
    assert first.author == "小雨点" and first.text == "谢谢分享,很受鼓舞!"


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=60, seed=11)


def test_replica_pages_render_the_real_comment_markup(site):
    """Both theme versions have commented pages, each comment in its version's real markup."""
    seen = set()
    for spec in site.articles:
        if not spec.n_comments:
            continue
        doc = lxml.html.fromstring(site.render(spec.path, BASE)[2])
        items = doc.cssselect("ul.comments-list li.comment")
        assert len(items) == spec.n_comments
        for item in items:
            vcard = item.cssselect("div.comment-author.vcard")[0]
            assert [child.tag for child in vcard] == ["img"] and not vcard.text_content().strip()
            nickname = item.cssselect("div.comment-body > div.nickname")[0]
            assert nickname.cssselect("span.comment-time") and item.cssselect("div.comment-text > p")
            wrapper = "div.comment-inner" if spec.theme == "justnews6" else f"div#div-{item.get('id')}"
            assert item.cssselect(wrapper) and item.cssselect("div.reply")
            if spec.theme == "justnews6" and nickname.cssselect("a"):
                assert nickname.cssselect("a.j-user-card")
        seen.add(spec.theme)
    assert seen == {"justnews6", "justnews5"}


def test_replica_comments_equal_the_gold_on_both_theme_versions(site):
    gold = {g["id"]: g for g in site.gold(BASE)}
    counted = {"justnews6": 0, "justnews5": 0}
    guests = 0
    for spec in site.articles:
        article = extract_article(
            site.render(spec.path, BASE)[2], spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)
        )
        assert [asdict(c) for c in article.comments] == gold[spec.id]["comments"], spec.id
        assert all(c.author and c.time and c.text for c in article.comments), spec.id
        counted[spec.theme] += len(article.comments)
        guests += sum(c.author == "游客" for c in article.comments)
    assert min(counted.values()) >= 5 and guests >= 1, (counted, guests)
