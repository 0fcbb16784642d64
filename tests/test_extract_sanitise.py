"""What the archive stores and serves as body_html can never run script, whatever the page held."""

from __future__ import annotations

import re
import shutil

import lxml.html
import pytest

from itp6crawl.extract import extract_article, extract_generic
from itp6crawl.replica import build_site
from itp6crawl.urls import CANONICAL_SITE

ATTACKS = [
    '<script>alert("x")</script>',
    '<img src="x.png" onerror="alert(1)" onload="alert(2)">',
    '<a href="javascript:alert(1)">点我</a>',
    '<a href="JaVaScRiPt:alert(1)">点我</a>',
    '<a href="jav&#x09;ascript:alert(1)">点我</a>',
    '<a href=" vbscript:msgbox(1)">点我</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">点我</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="q"><button>提交</button></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">点这里</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<img src="javascript:alert(1)">',
]


def is_safe(body_html: str) -> list[str]:
    """What in ``body_html`` could run script: empty when nothing."""
    doc = lxml.html.fragment_fromstring(body_html or "<div></div>", create_parent="div")
    problems = []
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("script", "iframe", "form", "object", "embed", "svg", "math", "meta", "base", "style"):
            problems.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name.startswith("on") or name == "style":
                problems.append(f"{element.tag}@{name}")
            if name in ("href", "src") and not re.match(r"https?://", value):
                problems.append(f"{element.tag}@{name}={value!r}")
    return problems


@pytest.fixture(scope="module")
def page() -> bytes:
    site = build_site(n_articles=6, seed=8)
    spec = next(spec for spec in site.articles if spec.theme == "justnews6")
    return site.render(spec.path, CANONICAL_SITE)[2]


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_inside_the_content_never_reaches_body_html(page, attack):
    marker = b'<div class="entry-content'
    at = page.index(marker)
    at = page.index(b">", at) + 1
    attacked = page[:at] + f"<p>正文之前{attack}正文之后</p>".encode() + page[at:]
    for extract in (extract_article, extract_generic):
        article = extract(attacked, f"{CANONICAL_SITE}/16001.html")
        assert not is_safe(article.body_html), (extract.__name__, is_safe(article.body_html))
        assert "正文之前" in article.body_text


def test_the_datasette_article_page_runs_no_script_from_a_body(tmp_path, replica_archive):
    """Even a body_html written into the archive by someone else is served inside our container only as
    the extractor made it: this checks that the page shows the stored HTML, and that ours is clean."""
    import asyncio
    import sqlite3

    from datasette.app import Datasette

    db = tmp_path / "itp6.db"
    shutil.copy(replica_archive, db)
    with sqlite3.connect(db) as connection:
        article_id, body_html = connection.execute("SELECT id, body_html FROM articles LIMIT 1").fetchone()
    assert not is_safe(body_html)

    async def fetch() -> str:
        datasette = Datasette([str(db)])
        await datasette.invoke_startup()
        return (await datasette.client.get(f"/itp6/articles/{article_id}")).text

    html = asyncio.run(fetch())
    content = lxml.html.fromstring(html).cssselect("div.itp6-article")
    assert content and not is_safe(lxml.html.tostring(content[0], encoding="unicode"))
