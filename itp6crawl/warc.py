"""The crawl's WARC files: every HTTP exchange as fetched, written and read back with warcio.

One file per crawl run of one archive, ``<archive>-<id>-<run-id>.warc.gz`` (:func:`run_file_name`), in
``warc/`` beside the archive unless told otherwise (:func:`warc_dir_of`), gzip-compressed one member per
record so that a ``WarcLocation`` (file, offset, length) can be read back on its own with a seek. The file
starts with a ``warcinfo`` record naming the archive it belongs to (``isPartOf``, ``itp6crawl-archive-id``),
so two archives in one folder never share a file and a replay can tell its own records from another archive's.
Each fetch is a ``response`` (or, for a 304, a ``revisit``) record followed by its ``request`` record.
Releases before the archive's identity wrote ``<run-id>.warc.gz`` with no archive named: :func:`warc_files`
still lists those.

This module is pure: it knows nothing of Scrapy or SQLite. The caller turns a Scrapy response into
``write_exchange`` arguments and stores the returned ``WarcLocation`` beside the article.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO, UnsupportedOperation
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, Protocol
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from .completeness import coding_problem

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
ARCHIVE_ID_FIELD = "itp6crawl-archive-id"  # the warcinfo field naming the archive a file belongs to

# warcio's default and the version tools most widely expect. Its WARC-Date has whole seconds only.
_WARC_VERSION = "WARC/1.0"
_NOT_MODIFIED_PROFILE = {
    "WARC/1.0": "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
    "WARC/1.1": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}[_WARC_VERSION]


class ArchiveName(Protocol):
    """What a WARC file records of its archive (the store's ``ArchiveIdentity``)."""

    @property
    def archive_id(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where a response (or revisit) record is: file name (no folder), offset of its gzip member, its length."""

    file: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class WarcResponse:
    """A ``response`` or ``revisit`` record read back; ``body`` is decoded (dechunked, decompressed)."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: datetime
    record_type: Literal["response", "revisit"]
    file: str
    offset: int
    payload_digest: str | None
    incomplete: str | None = None  # why the body as received was not whole (a cut gzip stream), if it was not


def _software() -> str:
    try:
        return f"itp6crawl/{version('itp6crawl')}"
    except PackageNotFoundError:
        return "itp6crawl/dev"


class _Utf8Headers(StatusAndHeaders):
    """HTTP headers written as UTF-8.

    warcio would percent-encode any non-ASCII header value (RFC 8187 style) and so change it; UTF-8
    bytes are read back unchanged by warcio's parser (it decodes UTF-8 first), so ``str`` values round-trip.
    """

    def compute_headers_buffer(self, header_filter=None) -> None:
        self.headers_buff = self.to_bytes(header_filter, encoding="utf-8")


def _http_headers(statusline: str, headers: list[tuple[str, str]], protocol: str) -> _Utf8Headers:
    for name, value in headers:
        # A CR or LF would end the header block early and corrupt the record's framing.
        if any(c in name or c in value for c in "\r\n"):
            raise ValueError(f"header {name!r} contains a line break")
    return _Utf8Headers(statusline, list(headers), protocol=protocol)


def _warc_date(date: datetime) -> str:
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the WARC date must be timezone-aware")
    utc = date.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_iso_date(utc, use_micros=_WARC_VERSION >= "WARC/1.1")


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class WarcFile:
    """An open WARC file being appended to; use as a context manager.

    Durability: every record is flushed to the operating system as soon as it is written, so a process
    killed with SIGKILL (or crashing) leaves every completed record readable; the kernel still holds the
    data. ``os.fsync`` is not called per record -- one disk sync per page would dominate the crawl's cost
    -- but ``flush()`` and ``close()`` call it, which also protects against power loss. A caller that
    records a ``WarcLocation`` in a database should call ``flush()`` before committing, so the database
    never points at bytes a power cut could lose.

    Errors: an ``OSError`` from a write (disk full, I/O error) propagates. The file then holds a partial
    record, so every later write is refused with ``OSError`` as well; the crawl must stop.
    """

    def __init__(
        self, fileobj: BinaryIO, name: str, *, write_warcinfo: bool = True, info: dict[str, str] | None = None
    ) -> None:
        """Write to ``fileobj`` (positioned at its end); ``name`` is the file name recorded in locations;
        ``info`` adds fields to the ``warcinfo`` record that starts a new file (the archive's identity)."""
        self._fh = fileobj
        self.name = name
        self._writer = WARCWriter(fileobj, gzip=True, warc_version=_WARC_VERSION)
        self._failed: BaseException | None = None
        self._closed = False
        if write_warcinfo:
            fields = {"software": _software(), "format": f"WARC File Format {_WARC_VERSION[5:]}", **(info or {})}
            self._write(self._writer.create_warcinfo_record(name, fields))

    @classmethod
    def open(cls, path: Path, info: dict[str, str] | None = None) -> WarcFile:
        """Append to ``path`` (creating it and its folders; a new file starts with a ``warcinfo`` record
        holding ``info``).

        An existing file is scanned first. A partial last record (a writer killed mid-record) is cut off
        with a warning, so that new records do not land behind bytes no reader can get past. Any other
        damage raises ``ValueError`` rather than appending to a file this module does not understand; so
        does a file whose ``warcinfo`` names another archive than ``info`` does (two archives never mix).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+b")  # noqa: SIM115 - owned by the WarcFile, closed by close()
        try:
            size = fh.seek(0, os.SEEK_END)
            end = size
            if size:
                fh.seek(0)
                end = _complete_end(fh, path.name)
                if end < size:
                    logger.warning(
                        "%s: cutting off a partial last record (%d bytes at offset %d)", path, size - end, end
                    )
                    fh.truncate(end)
                if end and info and ARCHIVE_ID_FIELD in info:
                    fh.seek(0)
                    owner = (_warcinfo_fields(fh) or {}).get(ARCHIVE_ID_FIELD)
                    if owner != info[ARCHIVE_ID_FIELD]:
                        raise ValueError(
                            f"{path} belongs to {'archive ' + owner if owner else 'no named archive'},"
                            f" not to archive {info[ARCHIVE_ID_FIELD]}: refusing to mix their records"
                        )
                fh.seek(0, os.SEEK_END)
            return cls(fh, path.name, write_warcinfo=end == 0, info=info)
        except BaseException:
            fh.close()
            raise

    def __enter__(self) -> WarcFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        date: datetime,
        protocol: str = "HTTP/1.1",
        ip: str | None = None,
    ) -> WarcLocation:
        """Write a ``response`` record and its ``request`` record; return where the response is.

        ``body`` is stored exactly as given, as the payload received, and warcio computes both digests
        over it. If ``response_headers`` carry ``Content-Encoding`` (gzip, br, ...) or
        ``Transfer-Encoding: chunked``, the body must still be in that encoding -- the WARC convention,
        which ``iter_responses``/``read_record`` undo on reading. If the caller already decoded the body
        it should drop those headers; if it does not, reading still returns the body (decoding that fails
        falls back to the bytes as stored, with a warning).
        """
        warc_date = _warc_date(date)
        warc_headers = {"WARC-Type": "response", "WARC-Date": warc_date}
        if ip:
            warc_headers["WARC-IP-Address"] = ip
        http = _http_headers(f"{status} {reason}".rstrip(), response_headers, protocol)
        response = self._writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body), warc_headers_dict=warc_headers, http_headers=http
        )
        location = self._write(response)
        self._write_request(url, method, request_headers, protocol, warc_date, response)
        return location

    def write_revisit(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int = 304,
        reason: str = "Not Modified",
        response_headers: list[tuple[str, str]],
        date: datetime,
        protocol: str = "HTTP/1.1",
        ip: str | None = None,
        refers_to_digest: str | None = None,
        refers_to_uri: str | None = None,
        refers_to_date: str | None = None,
    ) -> WarcLocation:
        """Write a ``revisit`` record (profile server-not-modified) for a 304, and its ``request`` record.

        The record holds the 304's status line and headers only. The ``refers_to_*`` values name the
        earlier capture when known (``refers_to_date`` in WARC-Date form, e.g. ``2024-06-02T15:10:00Z``).
        """
        warc_date = _warc_date(date)
        warc_headers = {"WARC-Type": "revisit", "WARC-Date": warc_date, "WARC-Profile": _NOT_MODIFIED_PROFILE}
        if ip:
            warc_headers["WARC-IP-Address"] = ip
        if refers_to_uri:
            warc_headers["WARC-Refers-To-Target-URI"] = refers_to_uri
        if refers_to_date:
            warc_headers["WARC-Refers-To-Date"] = refers_to_date
        if refers_to_digest:
            warc_headers["WARC-Payload-Digest"] = refers_to_digest
        http = _http_headers(f"{status} {reason}".rstrip(), response_headers, protocol)
        # Not warcio's create_revisit_record: it insists on a digest, and a 304 may have none to refer to.
        revisit = self._writer.create_warc_record(url, "revisit", warc_headers_dict=warc_headers, http_headers=http)
        location = self._write(revisit)
        self._write_request(url, method, request_headers, protocol, warc_date, revisit)
        return location

    def flush(self) -> None:
        """Flush and ``os.fsync``: every record written so far survives a crash or a power cut."""
        self._check_writable()
        try:
            self._fh.flush()
            _fsync(self._fh)
        except BaseException as exc:
            self._failed = exc
            raise

    def close(self) -> None:
        """Flush, sync and close; a no-op the second time. Write errors propagate."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._failed is None:
                self._fh.flush()
                _fsync(self._fh)
        finally:
            self._fh.close()

    def _write_request(
        self, url: str, method: str, headers: list[tuple[str, str]], protocol: str, warc_date: str, to: ArcWarcRecord
    ) -> None:
        http = _http_headers(f"{_request_target(url)} {protocol}", headers, method)
        concurrent = {
            "WARC-Type": "request",
            "WARC-Date": warc_date,
            "WARC-Concurrent-To": to.rec_headers.get_header("WARC-Record-ID"),
        }
        request = self._writer.create_warc_record(url, "request", warc_headers_dict=concurrent, http_headers=http)
        self._write(request)

    def _check_writable(self) -> None:
        if self._closed:
            raise ValueError(f"{self.name} is closed")
        if self._failed is not None:
            raise OSError(f"{self.name}: an earlier write failed, the file ends in a partial record") from self._failed

    def _write(self, record: ArcWarcRecord) -> WarcLocation:
        """Write one record as one gzip member and flush it to the OS; return its location."""
        self._check_writable()
        try:
            offset = self._fh.tell()
            self._writer.write_record(record)  # warcio flushes the gzip member and the file object
            length = self._fh.tell() - offset
        except BaseException as exc:
            self._failed = exc
            raise
        return WarcLocation(self.name, offset, length)


def _fsync(fh: BinaryIO) -> None:
    try:
        fd = fh.fileno()
    except (AttributeError, UnsupportedOperation):
        return  # an in-memory file: nothing to sync
    os.fsync(fd)


# --- reading -------------------------------------------------------------------------------------


class _Damaged(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"offset {offset}: {reason}")
        self.offset = offset


def _records(fh: BinaryIO) -> Iterator[tuple[ArcWarcRecord, bytes, int, int]]:
    """(record, raw payload, offset, length) for every complete record of ``fh`` from its position on.

    Raises ``_Damaged`` at the first record that is cut short or cannot be parsed. warcio alone does
    not notice a cut: it returns a short payload and treats an unfinished gzip member as finished.
    """
    end = fh.tell()
    iterator = ArchiveIterator(fh)
    try:
        for record in iterator:
            offset = iterator.offset
            if record.format != "warc":  # warcio falls back to ARC, which garbage can pass for
                raise _Damaged(offset, "not a WARC record")
            payload = record.raw_stream.read()
            if isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit > 0:
                raise _Damaged(offset, f"record cut short, {record.raw_stream.limit} bytes missing")
            length = iterator.get_record_length()
            decompressor = iterator.reader.decompressor if iterator.reader else None
            if decompressor is None:  # what warcio makes of bytes that do not decompress
                raise _Damaged(offset, "not a gzip member")
            if not decompressor.eof:
                raise _Damaged(offset, "gzip member cut short")
            end = offset + length
            yield record, payload, offset, length
    except _Damaged:
        raise
    except Exception as exc:  # warcio fails on damaged input in many ways (AttributeError on a missing header...)
        # The iterator's offset is the start of the record being parsed (it moves on after a record's end).
        raise _Damaged(iterator.offset, f"{type(exc).__name__}: {exc}".strip()) from exc
    # warcio ends quietly on a gzip member cut early in its header: whatever is left is damage.
    size = fh.seek(0, os.SEEK_END)
    if size > end:
        raise _Damaged(end, f"{size - end} unreadable bytes at the end")


def _complete_end(fh: BinaryIO, name: str) -> int:
    """Offset just after the last complete record; ``ValueError`` if the damage is not at the file's end."""
    end = 0
    try:
        for _record, _payload, offset, length in _records(fh):
            end = offset + length
    except _Damaged as exc:
        # A killed writer leaves the start of one gzip member at the end. If what follows the last
        # complete record is anything else, the damage is in the middle: refuse to touch the file.
        if not _is_partial_member(fh, exc.offset):
            raise ValueError(f"{name}: damaged WARC record at {exc}") from exc
        end = exc.offset
    return end


def _is_partial_member(fh: BinaryIO, offset: int) -> bool:
    """Whether the bytes from ``offset`` to the end are the beginning of a single, unfinished gzip member."""
    fh.seek(offset)
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while chunk := fh.read(1 << 20):
        try:
            decompressor.decompress(chunk, 1 << 20)  # the output is not needed: bound it
            while decompressor.unconsumed_tail and not decompressor.eof:
                decompressor.decompress(decompressor.unconsumed_tail, 1 << 20)
        except zlib.error:
            return False
        if decompressor.eof:
            return False  # a whole member: the damage is inside it, not a cut
    return True


def _response(record: ArcWarcRecord, payload: bytes, file: str, offset: int) -> WarcResponse:
    http = record.http_headers
    headers = list(http.headers) if http else []
    record_type = record.rec_type
    where = f"{file}@{offset}"
    is_response = record_type == "response"
    return WarcResponse(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        status=int(http.get_statuscode()) if http else 0,
        headers=headers,
        body=_decode_body(payload, headers, where) if is_response else b"",
        date=iso_date_to_datetime(record.rec_headers.get_header("WARC-Date"), tz_aware=True),
        record_type=record_type,
        file=file,
        offset=offset,
        payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        incomplete=coding_problem(_dechunk(payload, headers), _header_tokens(headers, "Content-Encoding"))
        if is_response
        else None,
    )


def iter_responses(paths: Iterable[Path]) -> Iterator[WarcResponse]:
    """Every ``response`` and ``revisit`` record of ``paths``, in file order.

    A file whose last record is cut short (its writer was killed) ends at the last complete record,
    with a warning; so does a file damaged in the middle (with the same warning, naming the offset).
    """
    for path in paths:
        path = Path(path)
        with open(path, "rb") as fh:
            try:
                for record, payload, offset, _length in _records(fh):
                    if record.rec_type in ("response", "revisit"):
                        try:
                            response = _response(record, payload, path.name, offset)
                        except (TypeError, ValueError) as exc:  # a whole record with a bad date or status
                            logger.warning("%s: skipped a malformed record at offset %d: %s", path, offset, exc)
                            continue
                        yield response
            except _Damaged as exc:
                logger.warning("%s: stopped reading at a damaged or partial record, %s", path, exc)


def read_record(directory: Path, location: WarcLocation) -> WarcResponse:
    """The ``response`` or ``revisit`` record at ``location`` in ``directory``.

    Raises ``ValueError`` if there is no complete response or revisit record at that offset.
    """
    path = Path(directory) / location.file
    with open(path, "rb") as fh:
        fh.seek(location.offset)
        try:
            for record, payload, offset, _length in _records(fh):
                if record.rec_type not in ("response", "revisit"):
                    raise ValueError(f"{path}@{location.offset} is a {record.rec_type} record")
                return _response(record, payload, location.file, offset)
        except (_Damaged, TypeError) as exc:
            raise ValueError(f"{path}: no readable record at {exc}") from exc
    raise ValueError(f"{path}: no record at offset {location.offset}")


def run_file_name(archive: str, archive_id: str, run_id: int) -> str:
    """The WARC file of run ``run_id`` of the archive file ``archive`` (``itp6.db``) whose id is
    ``archive_id``: ``itp6-3f2a9c1e-12.warc.gz``. The name says whose it is at a glance; the id makes
    it unique to one archive even when two archives in one folder share a name stem."""
    stem = Path(archive).name.split(".")[0] or "archive"
    return f"{stem}-{archive_id[:8]}-{run_id}{WARC_SUFFIX}"


def warc_identity(archive: ArchiveName, run_id: int) -> dict[str, str]:
    """The ``warcinfo`` fields that say which archive and run a file belongs to (``isPartOf`` is the
    WARC standard's field for "the collection this file is part of")."""
    return {
        "isPartOf": f"itp6crawl archive {archive.archive_id} ({archive.name})",
        ARCHIVE_ID_FIELD: archive.archive_id,
        "itp6crawl-archive": archive.name,
        "itp6crawl-run": str(run_id),
        "robots": "obey",
    }


def run_of_file(path: Path) -> int | None:
    """The run id in a WARC file's name (``<archive>-<id>-<run>`` or a legacy ``<run>``), or None."""
    run = Path(path).name.removesuffix(WARC_SUFFIX).rsplit("-", 1)[-1]
    return int(run) if run.isascii() and run.isdigit() else None


def warc_dir_of(db: str | Path) -> Path:
    """The folder of an archive's WARC files unless one is given (``ITP6_WARC_DIR``, ``reindex --warc``):
    ``warc/`` beside the archive file."""
    return Path(db).parent / "warc"


def warc_files(directory: Path) -> list[Path]:
    """The run files of ``directory`` (:func:`run_file_name`, and the legacy ``<run-id>.warc.gz``) in run
    order (``10`` after ``9``); whose they are is for the caller to ask (:func:`warcinfo_of`)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    runs: list[tuple[int, str, Path]] = []
    for path in directory.glob(f"*{WARC_SUFFIX}"):
        run_id = run_of_file(path)
        if run_id is not None:
            runs.append((run_id, path.name, path))
        else:
            logger.warning("%s: not a WARC file of a crawl run, skipped", path)
    return [path for *_, path in sorted(runs)]


def warcinfo_of(path: Path) -> dict[str, str]:
    """The fields of the ``warcinfo`` record that starts ``path`` (empty when it starts with none)."""
    with open(path, "rb") as fh:
        return _warcinfo_fields(fh) or {}


def _warcinfo_fields(fh: BinaryIO) -> dict[str, str] | None:
    try:
        for record, payload, _offset, _length in _records(fh):
            if record.rec_type != "warcinfo":
                return None
            fields: dict[str, str] = {}
            for line in payload.decode("utf-8", "replace").splitlines():
                name, sep, value = line.partition(":")
                if sep:
                    fields[name.strip()] = value.strip()
            return fields
    except _Damaged:
        return None
    return None


# --- content decoding ----------------------------------------------------------------------------


def _gunzip(data: bytes) -> bytes:
    decompressor = zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib header
    return decompressor.decompress(data) + decompressor.flush()


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send


_DECODERS: dict[str, Callable[[bytes], bytes]] = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate}
try:
    import brotli

    _DECODERS["br"] = brotli.decompress
except ImportError:  # pragma: no cover - depends on the environment
    pass
try:
    from compression import zstd  # Python 3.14
except ImportError:  # pragma: no cover - depends on the environment
    try:
        from backports import zstd
    except ImportError:
        zstd = None
if zstd is not None:
    _DECODERS["zstd"] = zstd.decompress


def _header_tokens(headers: list[tuple[str, str]], name: str) -> list[str]:
    name = name.lower()
    values = [value for key, value in headers if key.lower() == name]
    return [token.strip().lower() for value in values for token in value.split(",") if token.strip()]


def _dechunk(payload: bytes, headers: list[tuple[str, str]]) -> bytes:
    if "chunked" in _header_tokens(headers, "Transfer-Encoding"):
        # warcio's reader treats a body that does not parse as chunks as not chunked.
        return ChunkedDataReader(BytesIO(payload)).read()
    return payload


def _decode_body(payload: bytes, headers: list[tuple[str, str]], where: str) -> bytes:
    """The payload with Transfer-Encoding and Content-Encoding undone.

    Done here rather than with warcio's ``content_stream()``, which knows neither zstd (Scrapy asks for
    it) nor a list of codings, and which silently returns the undecoded bytes when a decoder fails.
    A body whose decoding fails is returned as it stands, with a warning.
    """
    body = _dechunk(payload, headers)
    for coding in reversed(_header_tokens(headers, "Content-Encoding")):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            logger.warning("%s: cannot decode Content-Encoding %r, body left encoded", where, coding)
            return body
        try:
            body = decoder(body)
        except Exception as exc:
            logger.warning("%s: Content-Encoding %r does not decode (%s), body left as stored", where, coding, exc)
            return body
    return body
