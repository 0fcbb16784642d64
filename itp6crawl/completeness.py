"""Is a fetched page whole? Pure checks of the bytes, for the crawl and for ``reindex`` alike.

A server can cut a page short without the transport noticing: a Content-Length that matches what was
sent (a PHP worker killed mid-render, a proxy that buffered part of it), a gzip stream that stops
halfway (Scrapy's gunzip then returns what it could decompress), a PHP fatal error that ends the theme
early and appends WordPress's own error page. Such a page must never be stored: it would replace a whole
article with the start of one (and lose its comments). These checks say why a page is not whole, or
None; the ingest rules turn the reason into a failure row and leave the crawl state so the next run
fetches the page again.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_HTML_END = re.compile(rb"</html\s*>", re.IGNORECASE)
_TRAILING_COMMENT = re.compile(rb"<!--(?:(?!<!--).)*?-->\s*\Z", re.DOTALL)
# The theme's article body and the footer every JustNews page (6.x and 5.x) closes with.
_THEME_BODY = re.compile(rb"""class=["'][^"']*\bentry-content\b""")
_FOOTER = re.compile(rb"<footer[\s>]", re.IGNORECASE)
_TAIL = 4096  # bytes looked at for the end of the document; WordPress ends pages with </html> and a newline


def document_problem(body: bytes) -> str | None:
    """Why an HTML page is not whole, or None (also for bytes that are not an HTML page at all: what
    they are is extraction's to say)."""
    if not _HTML_START.search(body[:4096]):
        return None
    tail = body[-_TAIL:].rstrip(b" \t\r\n\x00")
    while match := _TRAILING_COMMENT.search(tail):  # a page cache's "generated in 0.2 s" note after </html>
        tail = tail[: match.start()].rstrip()
    if not _ends_in_html_end(tail):
        if _cut_character(body):
            return f"incomplete page: it ends in the middle of a character, before </html> ({len(body):,} bytes)"
        return f"incomplete page: it ends before </html> ({len(body):,} bytes)"
    theme_body = _last(_THEME_BODY, body)
    if theme_body is not None and not _FOOTER.search(body, theme_body):
        return "incomplete page: the theme stops after the article, without its footer (a server error mid-page?)"
    return None


def _ends_in_html_end(tail: bytes) -> bool:
    match = None
    for match in _HTML_END.finditer(tail):  # noqa: B007 - the last one
        pass
    return match is not None and not tail[match.end() :].strip()


def _last(pattern: re.Pattern[bytes], body: bytes) -> int | None:
    found = None
    for found in pattern.finditer(body):  # noqa: B007 - the last one
        pass
    return found.end() if found is not None else None


def _cut_character(body: bytes) -> bool:
    """True when ``body`` ends inside a UTF-8 multi-byte character (its decoding ends in U+FFFD)."""
    continuation = 0
    while continuation < 3 and continuation < len(body) and 0x80 <= body[-1 - continuation] <= 0xBF:
        continuation += 1
    if continuation == len(body):
        return False
    lead = body[-1 - continuation]
    # The continuation bytes a lead byte announces: 11110xxx three, 1110xxxx two, 110xxxxx one.
    needed = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
    return continuation < needed


def coding_problem(payload: bytes, content_codings: Iterable[str]) -> str | None:
    """Why a body sent with ``Content-Encoding`` (as received, still encoded) does not decode whole, or
    None. Decoders that return what they could (Scrapy's gunzip, zlib without a check of the end) would
    hand on the first part of the page as if it were all of it."""
    body = payload
    codings = [token.strip().lower() for value in content_codings for token in value.split(",") if token.strip()]
    for coding in reversed(codings):
        if coding not in ("gzip", "x-gzip", "deflate"):
            return None  # identity, br, zstd: their decoders fail loudly on a cut stream
        # gzip (or a zlib header); deflate is zlib-wrapped, or raw as some servers send it.
        attempts = [32 + zlib.MAX_WBITS] if coding != "deflate" else [zlib.MAX_WBITS, -zlib.MAX_WBITS]
        for wbits in attempts:
            decompressor = zlib.decompressobj(wbits)
            try:
                decoded = decompressor.decompress(body) + decompressor.flush()
                break
            except zlib.error as error:
                damage = str(error)
        else:
            return f"incomplete page: its {coding} stream is damaged ({damage})"
        if not decompressor.eof:
            return f"incomplete page: its {coding} stream ends early ({len(body):,} bytes received)"
        body = decoded
    return None
