"""Turn page bytes into text, trusting the bytes over whatever the page or the server declares.

Order: a byte-order mark; strict UTF-8 (multi-byte text in another encoding almost never decodes as
UTF-8, so this also overrides a wrong header); the declared charsets (HTTP header, then <meta>),
tried strictly; GB18030 (a superset of GB2312 and GBK, the usual undeclared Chinese encodings);
Big5; the same readings again tolerating a handful of broken bytes; and only then a guess. A
single-byte declaration (ISO-8859-1, windows-1252) never wins over GB18030 on bytes that read as
Chinese, since such a header is the classic lie of a misconfigured server.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def normalise_charset(name: str | None) -> str | None:
    """Python codec name for a declared charset, widening GB2312/GBK to GB18030; None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def content_type_charset(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header value, as written (None when absent)."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag within its first 4 KB."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_chinese(text: str) -> bool:
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return non_ascii > 0 and len(_CJK.findall(text)) >= 0.5 * non_ascii


def decode_html(data: bytes | str, header_charset: str | None = None) -> str:
    """Decode page bytes to text (see the module docstring for the order). Text passes through."""
    if isinstance(data, str):
        return data
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if data.isascii():
        return data.decode("ascii")
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    declared = [normalise_charset(header_charset), normalise_charset(meta_charset(data))]
    chinese = _strict(data, "gb18030")
    for encoding in declared:
        if encoding is None or encoding == "utf-8":
            continue
        if encoding in _SINGLE_BYTE and chinese is not None and _looks_chinese(chinese):
            return chinese
        text = _strict(data, encoding)
        if text is not None:
            return text
    for text in (chinese, _strict(data, "big5")):
        if text is not None:
            return text
    # A few broken bytes (a character cut in half) must not throw the whole page to a guess: accept the
    # declared or Chinese reading when it needs only a handful of replacement characters.
    for encoding in [*(e for e in declared if e and e not in _SINGLE_BYTE), "gb18030", "utf-8"]:
        text = data.decode(encoding, errors="replace")
        if text.count("\ufffd") <= max(3, len(text) // 2000):
            return text
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency of ours
        best = None
    else:
        best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("gb18030", errors="replace")
