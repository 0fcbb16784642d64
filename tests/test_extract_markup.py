"""Markup never swallows text: unclosed or void plugin elements (embed, object, param, applet, iframe,
video/audio/source, legacy flash markup) and other broken markup (stray end tags such as ``</div>`` or
``</body>``, an unclosed figure, noscript, form or table) inside a body leave every paragraph after them
in the article, on the theme path and on the generic fallback. Plus a property test: inserting any such
markup between two paragraphs of a replica page changes the extracted body text by nothing but its own."""

from __future__ import annotations

import lxml.html
import pytest
from conftest import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itp6crawl.extract import ExtractOptions, extract_article, extract_generic, parse_page
from itp6crawl.extract.clean import text_blocks
from itp6crawl.extract.html import html_document, parse_document
from itp6crawl.extract.repair import balance_content, close_raw_text, repair_tree
from itp6crawl.replica import DEFAULT_NOW, build_site, corpus

BASE = "https://www.itp6.com"
SITE = build_site(n_articles=24, seed=21)
GOLD = {g["id"]: g for g in SITE.gold(BASE)}
# Pages with at least four body chunks, of both theme versions.
SPECS = [spec for spec in SITE.articles if len(SITE.body(spec)) >= 4 and not spec.extra_html]
FALLBACK_TEXT = "〔替代内容〕"  # what an element may show of its own: never in a replica body
YOUKU = "http://player.youku.com/player.php/sid/XMTIzNDU2Nzg5Mg==/v.swf"
TUDOU = "http://www.tudou.com/v/aBcDeF12/&amp;resourceId=0_05_05_99/v.swf"
BARE_EMBED = (
    f'<embed src="{YOUKU}" allowFullScreen="true" quality="high" width="480" height="400" align="middle" '
    'allowScriptAccess="always" type="application/x-shockwave-flash">'
)
UNCLOSED_OBJECT = (
    '<object classid="clsid:d27cdb6e-ae6d-11cf-96b8-444553540000" width="480" height="400">'
    f'<param name="movie" value="{TUDOU}"><param name="allowFullScreen" value="true">'
    f'<param name="wmode" value="opaque"><embed src="{TUDOU}" type="application/x-shockwave-flash" width="480">'
)


def chunk_ends(page: str, spec) -> list[int]:
    """The offsets in ``page`` just after each body chunk of ``spec`` (chunks are joined by newlines)."""
    chunks = [chunk.html.replace(corpus.BASE, BASE) for chunk in SITE.body(spec)]
    start = page.index(chunks[0])
    ends, at = [], start
    for chunk in chunks:
        assert page.startswith(chunk, at)
        at += len(chunk)
        ends.append(at)
        at += 1
    return ends


def insert(spec, after: int, markup: str) -> tuple[str, str]:
    """The page of ``spec`` as it is, and with ``markup`` inserted after its body chunk ``after``."""
    page = SITE.render(spec.path, BASE)[2].decode("utf-8")
    at = chunk_ends(page, spec)[after]
    return page, page[:at] + markup + page[at:]


def own_blocks_removed(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if FALLBACK_TEXT not in block]


def gold_body(spec) -> list[str]:
    return GOLD[spec.id]["body"]


# --------------------------------------------------------------------------- the defects, as measured


@pytest.mark.parametrize("markup", [BARE_EMBED, UNCLOSED_OBJECT], ids=["bare-embed", "unclosed-object"])
@pytest.mark.parametrize("theme", ["justnews6", "justnews5"])
def test_a_flash_embed_in_a_post_keeps_every_paragraph_after_it(markup, theme):
    """A bare <embed> or an unclosed <object> after the first paragraph: the whole body is still there, on
    the theme path (every block equal to the gold) and on the generic fallback (its reading unchanged)."""
    spec = next(spec for spec in SPECS if spec.theme == theme)
    page, broken = insert(spec, 0, markup)
    article = extract_article(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.extractor == "theme" and article.body_text.split("\n\n") == gold_body(spec)
    assert "<embed" not in article.body_html and "<object" not in article.body_html
    generic = extract_generic(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert generic.body_text == extract_generic(page, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)).body_text
    assert gold_body(spec)[-1] in generic.body_text


def test_an_unclosed_iframe_keeps_the_rest_of_the_page():
    """libxml2 reads an iframe's content as raw text up to ``</iframe>``: an unclosed one took the rest of
    the page with it, title and notice included."""
    spec = SPECS[0]
    _, broken = insert(spec, 1, '<iframe src="https://v.qq.com/iframe/player.html?vid=x0" frameborder=0>')
    article = extract_article(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.body_text.split("\n\n") == gold_body(spec) and article.credit == spec.credit


GUTENBERG_TABLE = (
    '<figure class="wp-block-table"><table><tbody><tr><td>药物</td><td>起始剂量</td></tr>'
    "<tr><td>艾曲泊帕</td><td>25mg 每日一次</td></tr></tbody></table><figcaption>表1 常见用法</figcaption></figure>"
)
GUTENBERG_QUOTE = (
    '<figure class="wp-block-pullquote"><blockquote><p>坚持复查很重要。</p><cite>主治医生</cite></blockquote></figure>'
)


@pytest.mark.parametrize("theme", ["justnews6", "justnews5"])
def test_a_figure_that_is_not_an_image_is_body_text(theme):
    """Every figure was skipped as an image: a Gutenberg table or pull quote (``figure.wp-block-*``) lost
    its text. A figure that shows an image still keeps its caption out of the text (it is in ``images``)."""
    spec = next(spec for spec in SPECS if spec.theme == theme)
    _, page = insert(spec, 0, GUTENBERG_TABLE + GUTENBERG_QUOTE)
    article = extract_article(page, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    gold = gold_body(spec)
    inserted = ["药物 | 起始剂量", "艾曲泊帕 | 25mg 每日一次", "表1 常见用法", "坚持复查很重要。", "主治医生"]
    assert article.body_text.split("\n\n") == [gold[0], *inserted, *gold[1:]]
    assert "<table>" in article.body_html and "<blockquote>" in article.body_html
    image = extract_article(
        insert(spec, 0, '<figure><img src="/a.png" alt="化验单"><figcaption>化验单</figcaption></figure>')[1],
        spec.url(BASE),
        ExtractOptions(fetched_at=DEFAULT_NOW),
    )
    assert image.body_text.split("\n\n") == gold and any(i.caption == "化验单" for i in image.images)


def test_the_message_for_browsers_without_flash_is_no_body_text():
    """``<noembed>`` is what a browser without ``<embed>`` showed; every browser has it: not text."""
    spec = SPECS[0]
    _, page = insert(spec, 0, f"{BARE_EMBED}<noembed>您的浏览器不支持Flash播放器</noembed>")
    for extract in (extract_article, extract_generic):
        article = extract(page, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
        assert "不支持Flash" not in article.body_text and "不支持Flash" not in article.body_html
    assert extract_article(page, spec.url(BASE)).body_text.split("\n\n") == gold_body(spec)


STRAY_END_TAGS = ["</div>", "</div></div>", "</td>", "</span>", "</body>", "</html>", "</div></article></main>"]
UNCLOSED = {
    "figure": (
        '<figure class="wp-caption aligncenter"><img src="/wp-content/uploads/a.jpg" alt="化验单">'
        f"<figcaption>{FALLBACK_TEXT}</figcaption>"
    ),
    "bare-figure": "<figure>",
    "figure-open-caption": '<figure><img src="/wp-content/uploads/a.jpg"><figcaption>',
    "noscript": '<noscript><img src="/wp-content/uploads/a.jpg">',
    "bare-noscript": "<noscript>",
    "form": '<form action="https://www.paypal.com/cgi-bin/webscr" method="post"><input type="hidden" name="c">',
    "bare-form": "<form>",
    "table": "<table>",
    "table-rows": f"<table><tbody><tr><td>{FALLBACK_TEXT}</td><td>2</td></tr>",
    "table-open-cell": f"<table><tr><td>{FALLBACK_TEXT}",
}


def body_html_blocks(article) -> list[str]:
    """The blocks of the article's body HTML, read back: the HTML holds what the text holds."""
    return text_blocks(html_document(f"<html><body>{article.body_html}</body></html>").find("body"))


@pytest.mark.parametrize("markup", STRAY_END_TAGS + list(UNCLOSED.values()), ids=STRAY_END_TAGS + list(UNCLOSED))
@pytest.mark.parametrize("theme", ["justnews6", "justnews5"])
def test_broken_markup_in_a_post_keeps_every_paragraph_after_it_and_lets_no_boilerplate_in(markup, theme):
    """A stray end tag closed ``div.entry-content`` (604 characters stored as 60), ``</body>`` ended the
    page; an unclosed figure, noscript or form took the rest of the body with it, and an unclosed table
    merged it into one row with the site's notice. Now the theme body is the gold, block for block, in
    text and HTML, with the notice, tags, related posts and comments read as before; the generic
    fallback reads the page as it read it without the markup."""
    spec = next(spec for spec in SPECS if spec.theme == theme)
    for after in (0, len(SITE.body(spec)) // 2):
        page, broken = insert(spec, after, markup)
        article = extract_article(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
        assert article.extractor == "theme"
        assert own_blocks_removed(article.body_text) == gold_body(spec)
        assert own_blocks_removed("\n\n".join(body_html_blocks(article))) == gold_body(spec)
        whole = extract_article(page, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
        assert (article.credit, article.tags, article.related, article.comments) == (
            whole.credit,
            whole.tags,
            whole.related,
            whole.comments,
        )
    generic = extract_generic(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert own_blocks_removed(generic.body_text) == extract_generic(page, spec.url(BASE)).body_text.split("\n\n")


# --------------------------------------------------------------------------- the repairs, one by one


def _body(markup: str) -> str:
    doc = parse_document(f"<html><body><div>{markup}</div></body></html>")
    return lxml.html.tostring(doc.find("body/div"), encoding="unicode")


@pytest.mark.parametrize(
    "markup,repaired",
    [
        # Void elements hold nothing: what the parser nested in them comes back out, in order. (libxml2
        # writes them with an end tag: it does not know them as void.)
        ('<p>a</p><embed src="x.swf"><p>b</p>tail', '<div><p>a</p><embed src="x.swf"></embed><p>b</p>tail</div>'),
        ("<p>a<embed src=x>b</p><p>c</p>", '<div><p>a<embed src="x"></embed>b</p><p>c</p></div>'),
        ("<source src=x><track src=y><p>b</p>", '<div><source src="x"></source><track src="y"></track><p>b</p></div>'),
        # object and applet: what they hold is what a reader sees today (no Flash, no Java): kept, unwrapped.
        ("<object data=x><param name=a value=b><p>b</p>", '<div><param name="a" value="b"><p>b</p></div>'),
        ("<applet code=x>替代<b>文字</b></applet><p>b</p>", "<div>替代<b>文字</b><p>b</p></div>"),
        # video and audio: their inline fallback goes with them; blocks in them were swallowed: out.
        ("<video src=x>不支持<p>b</p><p>c</p>", '<div><video src="x">不支持</video><p>b</p><p>c</p></div>'),
        (
            "<audio><source src=x>不支持</audio><p>b</p>",
            '<div><audio><source src="x"></source>不支持</audio><p>b</p></div>',
        ),
        # Raw-text elements: an unclosed one is closed where it starts.
        ("<iframe src=x><p>b</p>", '<div><iframe src="x"></iframe><p>b</p></div>'),
        ("<noembed>不支持</noembed><p>b</p>", "<div><noembed>不支持</noembed><p>b</p></div>"),
        ("<p>a</p>", "<div><p>a</p></div>"),
    ],
)
def test_each_repair(markup, repaired):
    assert _body(markup) == repaired


def test_a_raw_text_element_with_markup_up_to_a_later_close_was_never_closed():
    """An iframe whose text up to the next ``</iframe>`` closes elements it never opened ran past its
    parent: it is closed where it starts. One whose text is balanced is left as written."""
    swallowing = '<div class="c"><iframe src=x><p>b</p></div><iframe src=y></iframe>'
    assert close_raw_text(swallowing) == '<div class="c"><iframe src=x></iframe><p>b</p></div><iframe src=y></iframe>'
    balanced = '<iframe title="a>b" src=x><p>fallback</p></iframe><p>b</p>'
    assert close_raw_text(balanced) == balanced
    assert close_raw_text("<TEXTAREA rows=3>") == "<TEXTAREA rows=3></TEXTAREA>"


def _page(body: str, after: str = '\n<div class="entry-tag"><a rel="tag">T</a></div>') -> str:
    content = f'<div class="entry-content clearfix">{body}</div>'
    return f'<html><body><article><div class="entry-main">{content}{after}</div></article></body></html>'


@pytest.mark.parametrize(
    "body,repaired",
    [
        # End tags that close nothing opened in the body go; the body's own end tag stays.
        ("<p>a</p></div><p>b</p>", "<p>a</p><p>b</p>"),
        ("<p>a</p></div></div></body></html><p>b</p>\n", "<p>a</p><p>b</p>\n"),
        ("<p>a</td></span></p><p>b</p>", "<p>a</p><p>b</p>"),
        # ... but not </p> and </br> (a browser makes a paragraph and a line break of them), nor void ones.
        ("<p>a</p></p><embed src=x></embed>b</br>", "<p>a</p></p><embed src=x></embed>b</br>"),
        # An unclosed figure, noscript, form or table ends before the first block after its own content.
        (
            "<figure><img src=x><figcaption>c</figcaption><p>b</p>",
            "<figure><img src=x><figcaption>c</figcaption></figure><p>b</p>",
        ),
        ("<noscript><img src=x><p>b</p>", "<noscript><img src=x></noscript><p>b</p>"),
        ("<form action=x><input name=a>说明<p>b</p>", "<form action=x><input name=a>说明</form><p>b</p>"),
        ("<table><tr><td>1</td></tr>\n<p>b</p>", "<table><tr><td>1</td></tr>\n</table><p>b</p>"),
        ("<table><tr><td>1<p>b</p>", "<table><tr><td>1</table><p>b</p>"),
        ("<div><table><tr><td>1</div><p>b</p>", "<div><table><tr><td>1</table></div><p>b</p>"),
        ("<p>a<form></p><p>b</p>", "<p>a<form></p></form><p>b</p>"),
        # Closed ones, comments and script text are left as written.
        (
            "<figure><table><tr><td>1</td></tr></table><figcaption>c</figcaption></figure><p>b</p>",
            "<figure><table><tr><td>1</td></tr></table><figcaption>c</figcaption></figure><p>b</p>",
        ),
        ("<!-- </div> --><script>x='</div>'</script><p>b</p>", "<!-- </div> --><script>x='</div>'</script><p>b</p>"),
        ("<p>a<br/>b</p><div/><p>c</p>", "<p>a<br/>b</p><div/><p>c</p>"),
    ],
)
def test_balancing_the_body_markup(body, repaired):
    assert balance_content(_page(body)) == _page(repaired)


def test_balancing_leaves_pages_without_a_theme_body_alone():
    no_theme_block_after = '<html><body><div class="entry-content"><p>a</p></div><p>b</p></div></body></html>'
    for page in ("<p>a</p></div><p>b</p>", no_theme_block_after):
        assert balance_content(page) is page
    page = _page("<p>a</p>\n")
    assert balance_content(page) is page
    # The theme's own blocks after the body, whether a stray tag came before or not.
    assert balance_content(_page("<p>a</p></div><p>b</p>", after='<div class="entry-footer">x</div>')) == _page(
        "<p>a</p><p>b</p>", after='<div class="entry-footer">x</div>'
    )


def test_repair_tree_says_whether_it_changed_anything():
    assert not repair_tree(lxml.html.document_fromstring("<p>a<embed src=x></embed></p><video src=y></video>"))
    assert repair_tree(lxml.html.document_fromstring("<p>a</p><object data=x></object>"))


def test_the_generic_readers_get_the_repaired_page():
    """A page whose tree needed repair is handed to trafilatura and readability as the repaired tree's
    markup; any other page as it was decoded."""
    plain = "<html><body><p>甲</p></body></html>"
    assert parse_page(plain).text == plain
    repaired = parse_page(f"<html><body><p>甲</p>{BARE_EMBED}<p>乙</p></body></html>").text
    assert 'type="application/x-shockwave-flash"></embed><p>乙</p></body>' in repaired.replace("\n", "")


# --------------------------------------------------------------------------- the property


def _attrs(draw: st.DrawFn, names: list[str]) -> str:
    values = {
        "src": st.sampled_from([YOUKU, TUDOU, "/wp-content/uploads/2016/05/v.mp4", "x.swf"]),
        "type": st.sampled_from(["application/x-shockwave-flash", "video/mp4", "text/html"]),
        "width": st.sampled_from(["480", "100%"]),
        "title": st.sampled_from(["视频", "a>b", "x' y", ""]),
    }
    out = []
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        value = draw(values.get(name, st.sampled_from(["true", "always", "high"])))
        quote = draw(st.sampled_from(['"', "'", ""] if value.isalnum() else ['"']))
        quote = "'" if quote == '"' and '"' in value else quote
        out.append(f" {name}={quote}{value}{quote}")
    return "".join(out)


@st.composite
def plugin_markup(draw: st.DrawFn) -> str:
    """One plugin element as old posts and editors write it: void or not, closed or not, with or without
    parameters, sources and fallback text (the only text it may add: FALLBACK_TEXT)."""
    tag = draw(st.sampled_from(["embed", "param", "source", "track", "object", "applet", "iframe", "video", "audio"]))
    attrs = _attrs(draw, ["src", "type", "width", "title", "allowFullScreen", "quality", "allowScriptAccess"])
    ending = draw(st.sampled_from([">", "/>", " >"]))
    fallback = draw(st.sampled_from(["", FALLBACK_TEXT, f"<span>{FALLBACK_TEXT}</span>", f"<p>{FALLBACK_TEXT}</p>"]))
    if tag in ("embed", "param", "source", "track"):
        closing = draw(st.sampled_from(["", f"</{tag}>"]))
        return f"<{tag}{attrs}{ending}{closing}"
    inner = []
    if tag in ("object", "applet"):
        inner += [f'<param name="p{n}" value="v{n}">' for n in range(draw(st.integers(0, 3)))]
        if draw(st.booleans()):
            inner.append(f'<embed src="{YOUKU}" type="application/x-shockwave-flash">')
    if tag in ("video", "audio"):
        inner += ['<source src="/v.mp4" type="video/mp4">'] * draw(st.integers(0, 2))
    inner.append(fallback)
    closing = draw(st.sampled_from(["", f"</{tag}>"]))
    return f"<{tag}{attrs}{ending}{''.join(inner)}{closing}"


@st.composite
def broken_markup(draw: st.DrawFn) -> str:
    """Other broken markup pasted into posts: stray end tags (of the body's own elements or of the page's),
    or a figure, figcaption, noscript, form or table never closed, with or without content of its own."""
    kind = draw(st.sampled_from(["stray", "figure", "figcaption", "noscript", "form", "table"]))
    if kind == "stray":
        names = ["div", "div", "span", "td", "tr", "table", "p", "li", "ul", "a", "strong", "section", "figure"]
        names += ["form", "article", "main", "body", "html", "center", "h2", "blockquote", "noscript"]
        return "".join(f"</{name}>" for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)))
    attrs = draw(st.sampled_from(["", ' class="wp-caption aligncenter"', ' style="width: 480px"', ' action="x"']))
    if kind == "figure":
        inner = [
            draw(st.sampled_from(["", '<img src="/a.jpg" alt="化验单">', '<a href="/a.jpg"><img src="/a.jpg"></a>'])),
            draw(st.sampled_from(["", f"<figcaption>{FALLBACK_TEXT}</figcaption>", "<figcaption>"])),
        ]
    elif kind == "figcaption":
        inner = [draw(st.sampled_from(["", FALLBACK_TEXT]))]
    elif kind == "noscript":
        inner = [draw(st.sampled_from(["", '<img src="/a.jpg">', FALLBACK_TEXT]))]
    elif kind == "form":
        controls = [
            '<input type="hidden" name="a" value="b">',
            f"<label>{FALLBACK_TEXT}</label>",
            "<button>提交</button>",
        ]
        inner = draw(st.lists(st.sampled_from(controls), max_size=3))
    else:
        rows = [f"<tr><td>{FALLBACK_TEXT}</td></tr>", f"<tr><td>{FALLBACK_TEXT}<td>{FALLBACK_TEXT}", "<tbody>"]
        inner = draw(st.lists(st.sampled_from(rows), max_size=3))
        inner += [draw(st.sampled_from(["", f"<tr><td>{FALLBACK_TEXT}", "</td></tr>", "</tbody>"]))]
    return f"<{kind}{attrs}>{''.join(inner)}"


@st.composite
def inserted_markup(draw: st.DrawFn, broken: bool = True) -> str:
    """One to three plugin elements or pieces of broken markup (only plugin elements when not ``broken``),
    sometimes inside a paragraph or a centred one (as editors put them)."""
    pieces = st.one_of(plugin_markup(), broken_markup()) if broken else plugin_markup()
    markup = "".join(draw(st.lists(pieces, min_size=1, max_size=3)))
    wrapper = draw(st.sampled_from(["", "p", "center", "div"]))
    if wrapper:
        style = ' style="text-align: center;"' if wrapper != "center" else ""
        markup = f"<{wrapper}{style}>{markup}</{wrapper}>"
    return draw(st.sampled_from(["", "\n"])) + markup + draw(st.sampled_from(["", "\n"]))


@settings(
    max_examples=fuzz_examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(SPECS), st.data(), inserted_markup())
def test_inserting_plugin_or_broken_markup_between_two_paragraphs_changes_the_theme_body_by_its_own_only(
    spec, data, markup
):
    after = data.draw(st.integers(0, len(SITE.body(spec)) - 2), label="after chunk")
    _, broken = insert(spec, after, markup)
    article = extract_article(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW))
    assert article.extractor == "theme"
    assert own_blocks_removed(article.body_text) == gold_body(spec)
    assert own_blocks_removed("\n\n".join(body_html_blocks(article))) == gold_body(spec)
    assert article.credit == spec.credit and article.related  # nothing after the body went either


# Both generic readers run twice per example (about 0.3 s): a tenth of the theme property's count, so
# `make fuzz`'s 10,000 gives 1,000 examples here (about 5 minutes on 2 cores). Plugin elements only: the
# generic readers (trafilatura, readability) may choose another reading of a page whose body holds an
# unclosed table after a stray </div> (hypothesis found one: paragraphs merged), which the theme path,
# the replica's own, reads whole (the property above); broken markup on the generic path is left open.
@settings(
    max_examples=max(40, fuzz_examples(400) // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(SPECS), st.data(), inserted_markup(broken=False))
def test_inserting_plugin_markup_between_two_paragraphs_changes_the_generic_body_by_its_own_only(spec, data, markup):
    after = data.draw(st.integers(0, len(SITE.body(spec)) - 2), label="after chunk")
    page, broken = insert(spec, after, markup)
    before = extract_generic(page, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)).body_text
    assert own_blocks_removed(
        extract_generic(broken, spec.url(BASE), ExtractOptions(fetched_at=DEFAULT_NOW)).body_text
    ) == (before.split("\n\n"))
