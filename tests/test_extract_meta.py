import pytest

from itp6crawl.extract import parse_page
from itp6crawl.extract.meta import read_head

URL = "https://www.itp6.com/16001.html"

HEAD = """<html><head><title> 艾曲泊帕  用药记录 - ITP6病友网 </title>
<link rel="canonical" href="/16001.html"><link rel="canonical" href="/other.html">
<link rel="shortlink" href="https://www.itp6.com/?p=16001">
<meta property="og:title" content="艾曲泊帕 用药记录"><meta name="og:title" content="后来的标题">
<meta property="article:published_time" content="2024-06-01T08:00:00+08:00">
<meta name="article:modified_time"><meta property="og:updated_time" content=" 2024-06-02T09:00:00+08:00 ">
<meta property="article:author" content="https://www.itp6.com/author/x">
<meta property="article:section" content="治疗"><meta property="article:section" content=" ">
<meta property="article:section" content="经验"><meta name="article:tag" content="不算">
<meta property="article:tag" content="激素">
<script type="application/ld+json">{"@graph": [{"@type": "Article", "author": {"name": "小明"}}]}</script>
<script type="application/ld+json">not json</script>
</head><body class="single postid-999"><svg><title>图标</title></svg><p>正文</p></body></html>"""


def test_the_head_is_read_in_one_walk_with_the_first_value_of_each_tag_winning():
    head = read_head(parse_page(HEAD.encode()).doc, URL)
    assert head.canonical == URL  # the first canonical link, made absolute
    assert head.title == "艾曲泊帕 用药记录"  # property or name, the first in the page
    assert head.published == "2024-06-01T08:00:00+08:00"
    assert head.modified == "2024-06-02T09:00:00+08:00"  # a meta without content counts for nothing
    assert head.author == "小明"  # a URL is no author name: JSON-LD's, in an @graph
    assert head.section == ["治疗", "经验"] and head.keywords == ["激素"]  # property only, blanks dropped
    assert head.document_title == "艾曲泊帕 用药记录 - ITP6病友网"
    assert head.post_id == 16001  # the shortlink before the body class


def test_without_a_shortlink_the_post_id_comes_from_the_body_class_then_the_url():
    page = HEAD.replace('<link rel="shortlink" href="https://www.itp6.com/?p=16001">', "")
    assert read_head(parse_page(page.encode()).doc, URL).post_id == 999
    bare = "<html><head><title>x</title></head><body><p>正文</p></body></html>"
    head = read_head(parse_page(bare.encode()).doc, URL)
    assert head.post_id == 16001 and head.canonical == "" and head.title == "" and head.section == []


@pytest.mark.parametrize(
    ("author", "name"),
    [
        ('[{"name": "小红"}, {"name": "小明"}]', "小红"),
        ('["  小 红 "]', "小 红"),
        ("[]", ""),
        ('{"url": "x"}', ""),
        ("null", ""),
        ('""', ""),
    ],
)
def test_a_json_ld_author_is_a_name_a_list_of_them_or_nothing(author, name):
    page = f'<html><head><script type="application/ld+json">{{"@type": "Article", "author": {author}}}</script>'
    assert read_head(parse_page((page + "</head><body><p>正文</p></body></html>").encode()).doc, URL).author == name
