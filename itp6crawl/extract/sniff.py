"""Is it an HTML page at all, and is it a post? Checks made before and after parsing.

A crawler meets images, archives and garbage at HTML-shaped URLs, and WordPress serves listings, search
results and its 404 page with the same theme as a post. Each is refused with a reason, never read as an
article (which is what a generic extractor would otherwise do with anything that has text in it).
"""

from __future__ import annotations

import re

from .html import ExtractionError, HtmlElement

# Signatures of the binary files a server may send in place of a page.
MAGIC_NUMBERS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP, WAV or AVI)"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"\x00\x00\x01\x00", "an icon"),
)
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D, 0x1B}  # tab, newline, form feed, carriage return, escape
_CONTROL_BYTES = bytes(byte for byte in [*range(0x20), 0x7F] if byte not in _TEXT_CONTROLS)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_CONTROL_SHARE = 0.02  # of the first 8 KB; text and HTML have none


def refuse_binary(data: bytes) -> None:
    """Raise ExtractionError when ``data`` is a known binary format or is mostly not text."""
    head = data[:8192]
    for magic, kind in MAGIC_NUMBERS:
        if head.startswith(magic):
            raise ExtractionError(f"not an HTML page: the bytes are {kind}")
    if head[4:8] == b"ftyp":
        raise ExtractionError("not an HTML page: the bytes are a video (MP4)")
    if head.startswith(_UTF16_BOMS):
        return  # UTF-16 text has a zero byte in every other place
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C, not per byte in Python
    if head and (b"\x00" in head or controls > MAX_CONTROL_SHARE * len(head)):
        raise ExtractionError(f"not an HTML page: binary data ({controls} control bytes in the first {len(head)})")


# WordPress body classes of pages that are not a post, and what to call them in the reason.
NOT_A_POST = (
    ("error404", "the site's 404 page"),
    ("search", "search results"),
    ("home", "the home page"),
    ("blog", "the post index"),
    ("category", "a category listing"),
    ("tag", "a tag listing"),
    ("author", "an author's listing"),
    ("date", "a date archive"),
    ("archive", "an archive listing"),
    ("page", "a WordPress page, not a post"),
    ("attachment", "an attachment page"),
)
_CLASS_SPLIT = re.compile(r"\s+")


def refuse_non_post(doc: HtmlElement) -> None:
    """Raise ExtractionError when WordPress's body classes say the page is not a single post.

    A page whose body has no WordPress classes (another site, a renamed theme) is not judged here."""
    body = doc.find("body")
    classes = set(_CLASS_SPLIT.split(body.get("class", "").strip())) if body is not None else set()
    if "single" in classes or any(name.startswith("postid-") for name in classes):
        return
    for name, what in NOT_A_POST:
        if name in classes:
            raise ExtractionError(f"not an article page: {what} (body class {name!r})")
