"""Markup never swallows text: unclosed or void plugin elements (embed, object, param, applet, iframe,
video/audio/source, legacy flash markup) inside a body leave every paragraph after them in the article,
on the theme path and on the generic fallback. Plus a property test: inserting any such element
between two paragraphs of a replica page changes the extracted body text by nothing but that element."""

from __future__ import annotations

import lxml.html
import pytest
from conftest import fuzz_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itp6crawl.extract import extract_article, extract_generic, parse_page
from itp6crawl.extract.html import parse_document
from itp6crawl.extract.repair import close_raw_text, repair_tree
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
    article = extract_article(broken, spec.url(BASE), fetched_at=DEFAULT_NOW)
    assert article.extractor == "theme" and article.body_text.split("\n\n") == gold_body(spec)
    assert "<embed" not in article.body_html and "<object" not in article.body_html
    generic = extract_generic(broken, spec.url(BASE), fetched_at=DEFAULT_NOW)
    assert generic.body_text == extract_generic(page, spec.url(BASE), fetched_at=DEFAULT_NOW).body_text
    assert gold_body(spec)[-1] in generic.body_text


def test_an_unclosed_iframe_keeps_the_rest_of_the_page():
    """libxml2 reads an iframe's content as raw text up to ``</iframe>``: an unclosed one took the rest of
    the page with it, title and notice included."""
    spec = SPECS[0]
    _, broken = insert(spec, 1, '<iframe src="https://v.qq.com/iframe/player.html?vid=x0" frameborder=0>')
    article = extract_article(broken, spec.url(BASE), fetched_at=DEFAULT_NOW)
    assert article.body_text.split("\n\n") == gold_body(spec) and article.credit == spec.credit


def test_the_message_for_browsers_without_flash_is_no_body_text():
    """``<noembed>`` is what a browser without ``<embed>`` showed; every browser has it: not text."""
    spec = SPECS[0]
    _, page = insert(spec, 0, f"{BARE_EMBED}<noembed>您的浏览器不支持Flash播放器</noembed>")
    for extract in (extract_article, extract_generic):
        article = extract(page, spec.url(BASE), fetched_at=DEFAULT_NOW)
        assert "不支持Flash" not in article.body_text and "不支持Flash" not in article.body_html
    assert extract_article(page, spec.url(BASE)).body_text.split("\n\n") == gold_body(spec)


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
def inserted_markup(draw: st.DrawFn) -> str:
    """One to three plugin elements, sometimes inside a paragraph or a centred one (as editors put them)."""
    markup = "".join(draw(st.lists(plugin_markup(), min_size=1, max_size=3)))
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
def test_inserting_a_plugin_element_between_two_paragraphs_changes_the_theme_body_by_that_element_only(
    spec, data, markup
):
    after = data.draw(st.integers(0, len(SITE.body(spec)) - 2), label="after chunk")
    _, broken = insert(spec, after, markup)
    article = extract_article(broken, spec.url(BASE), fetched_at=DEFAULT_NOW)
    assert article.extractor == "theme"
    assert own_blocks_removed(article.body_text) == gold_body(spec)
    assert article.credit == spec.credit and article.related  # nothing after the body went either


# Both generic readers run twice per example (about 0.3 s): a tenth of the theme property's count, so
# `make fuzz`'s 10,000 gives 1,000 examples here (about 5 minutes on 2 cores).
@settings(
    max_examples=max(40, fuzz_examples(400) // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(SPECS), st.data(), inserted_markup())
def test_inserting_a_plugin_element_between_two_paragraphs_changes_the_generic_body_by_that_element_only(
    spec, data, markup
):
    after = data.draw(st.integers(0, len(SITE.body(spec)) - 2), label="after chunk")
    page, broken = insert(spec, after, markup)
    before = extract_generic(page, spec.url(BASE), fetched_at=DEFAULT_NOW).body_text
    assert own_blocks_removed(extract_generic(broken, spec.url(BASE), fetched_at=DEFAULT_NOW).body_text) == (
        before.split("\n\n")
    )
