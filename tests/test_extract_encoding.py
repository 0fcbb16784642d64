import pytest

from itp6crawl.extract import decode_html, extract_article
from itp6crawl.extract.encoding import _looks_chinese, content_type_charset, meta_charset, normalise_charset

TEXT = "免疫性血小板减少症患者服用艾曲泊帕，血小板升到 50×10^9/L。"


def page(charset_meta: str | None, text: str = TEXT) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "gb2312"])
def test_declared_encoding(encoding):
    assert TEXT in decode_html(page(encoding).encode(encoding))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_undeclared_chinese_encoding(encoding):
    assert TEXT in decode_html(page(None).encode(encoding))


def test_header_charset_that_contradicts_a_gbk_body():
    data = page("gbk").encode("gbk")
    assert TEXT in decode_html(data, header_charset="utf-8")
    assert TEXT in decode_html(data, header_charset="iso-8859-1")


def test_header_charset_that_contradicts_a_utf8_body():
    assert TEXT in decode_html(page("gbk").encode("utf-8"), header_charset="gb2312")


def test_byte_order_mark_wins():
    assert TEXT in decode_html(b"\xef\xbb\xbf" + page("gbk").encode("utf-8"))


def test_entities_are_decoded_in_extracted_text():
    html = (
        "<html><head><title>t</title></head><body><article><h1>标题</h1><div class='content'>"
        + "<p>利妥昔单抗&amp;地塞米松&nbsp;联合&#8220;冲击&#8221;治疗，&lt;50&gt; 的情况。</p>" * 8
        + "</div></article></body></html>"
    )
    text = extract_article(html.encode("gbk", "xmlcharrefreplace"), "https://example.org/1.html").body_text
    assert "利妥昔单抗&地塞米松 联合“冲击”治疗,<50> 的情况。" in text.replace("，", ",")


def test_a_character_cut_in_half_costs_one_character_not_the_page():
    data = page("gb2312", TEXT * 20).encode("gb18030")
    broken = data.replace("减".encode("gb18030"), "减".encode("gb18030")[:1], 1)
    text = decode_html(broken)
    assert text.count("\ufffd") <= 2 and text.count(TEXT) == 19


TRADITIONAL = "免疫性血小板減少症患者服用艾曲泊帕，血小板升到五十。"


def test_a_big5_page_is_read_as_big5_when_its_meta_or_its_header_says_so():
    """Undeclared, Big5 bytes also decode as GB18030 (to nonsense): the declaration must be read."""
    assert TRADITIONAL not in decode_html(page(None, TRADITIONAL).encode("big5"))
    assert TRADITIONAL in decode_html(page("big5", TRADITIONAL).encode("big5"))
    header = content_type_charset('text/html; Charset="Big5"')
    assert TRADITIONAL in decode_html(page(None, TRADITIONAL).encode("big5"), header_charset=header)


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [("text/html; charset=GBK", "GBK"), ("text/html;CHARSET='utf-8'", "utf-8"), ("text/html", None), (None, None)],
)
def test_content_type_charset_is_the_parameter_as_written(content_type, charset):
    assert content_type_charset(content_type) == charset


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("GBK", "gb18030"), (" 'GB2312' ", "gb18030"), ('"x-gbk"', "gb18030"), ("UTF-8", "utf-8"), ("Big5", "big5")],
)
def test_declared_charsets_are_widened_and_named_as_python_codecs(declared, codec):
    assert normalise_charset(declared) == codec


def test_unknown_or_missing_charsets_are_none():
    assert normalise_charset("klingon") is None and normalise_charset("") is None and normalise_charset(None) is None


def test_meta_charset_is_read_within_the_first_4_kb_only():
    tag = b"<meta charset=gbk"
    assert meta_charset(b" " * (4096 - len(tag)) + tag + b">") == "gbk"
    assert meta_charset(b" " * (4097 - len(tag)) + tag + b">") == "gb"  # cut at byte 4096
    assert meta_charset(b" " * 4096 + tag + b">") is None


def test_a_single_byte_header_loses_only_to_a_reading_that_is_mostly_chinese():
    """Half the non-ASCII characters being Chinese is enough to overrule ISO-8859-1; fewer is not."""
    assert _looks_chinese("中文ÀÁ") and _looks_chinese("中ÀÁ") is False
    assert _looks_chinese("ascii only") is False and _looks_chinese("中") is True
