import base64
import errno
import gzip
import hashlib
import io
import logging
import subprocess
import sys
import textwrap
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.utils import Digester

from itp6crawl.warc import WarcFile, WarcLocation, iter_responses, read_record, warc_files

CST = timezone(timedelta(hours=8))
FETCHED = datetime(2024, 6, 2, 23, 10, 5, tzinfo=CST)
HTML = "<html><head><title>服用艾曲泊帕三个月的经历</title></head><body><p>血小板升到了 85。</p></body></html>".encode()
REQUEST_HEADERS = [("Host", "www.itp6.com"), ("User-Agent", "itp6crawl"), ("Accept-Encoding", "gzip, br")]


def exchange(warc: WarcFile, post_id: int = 101, body: bytes = HTML, headers=None, **changes) -> WarcLocation:
    args = dict(
        url=f"https://www.itp6.com/{post_id}.html",
        method="GET",
        request_headers=REQUEST_HEADERS,
        status=200,
        reason="OK",
        response_headers=headers if headers is not None else [("Content-Type", "text/html; charset=UTF-8")],
        body=body,
        date=FETCHED,
    )
    return warc.write_exchange(**(args | changes))


def revisit(warc: WarcFile, post_id: int = 101, **changes) -> WarcLocation:
    args = dict(
        url=f"https://www.itp6.com/{post_id}.html",
        method="GET",
        request_headers=[*REQUEST_HEADERS, ("If-None-Match", '"abc"')],
        status=304,
        reason="Not Modified",
        response_headers=[("ETag", '"abc"'), ("Date", "Sun, 02 Jun 2024 15:10:05 GMT")],
        date=FETCHED,
        refers_to_digest="sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH",
        refers_to_uri=f"https://www.itp6.com/{post_id}.html",
        refers_to_date="2024-05-01T00:00:00Z",
    )
    return warc.write_revisit(**(args | changes))


def raw_records(path):
    """(WARC headers, HTTP headers, raw payload) of every record, as plain warcio reads them."""
    with open(path, "rb") as fh:
        return [
            (record.rec_headers, record.http_headers, record.raw_stream.read())
            for record in ArchiveIterator(fh, check_digests="raise")
        ]


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_chinese_html_round_trip(tmp_path):
    with WarcFile.open(tmp_path / "warc" / "7.warc.gz") as warc:
        location = exchange(warc, headers=[("Content-Type", "text/html; charset=UTF-8"), ("X-Title", "病友网")])
    assert location.file == "7.warc.gz" and location.offset > 0 and location.length > 0

    [response] = iter_responses([tmp_path / "warc" / "7.warc.gz"])
    assert response.body == HTML
    assert response.url == "https://www.itp6.com/101.html"
    assert response.status == 200
    assert response.headers == [("Content-Type", "text/html; charset=UTF-8"), ("X-Title", "病友网")]
    assert response.record_type == "response"
    assert response.date == FETCHED  # whole seconds: WARC/1.0 dates have no fraction
    assert response.date.tzinfo is not None
    assert (response.file, response.offset) == (location.file, location.offset)


def test_file_starts_with_warcinfo_and_pairs_each_response_with_its_request(tmp_path):
    path = tmp_path / "1.warc.gz"
    with WarcFile.open(path) as warc:
        exchange(warc, ip="203.0.113.7")
        revisit(warc)
    records = raw_records(path)  # check_digests="raise": every block and payload digest verifies
    assert [r[0].get_header("WARC-Type") for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    warcinfo = records[0][2].decode()
    assert "software: itp6crawl/" in warcinfo and records[0][0].get_header("WARC-Filename") == "1.warc.gz"
    response, request = records[1], records[2]
    assert request[0].get_header("WARC-Concurrent-To") == response[0].get_header("WARC-Record-ID")
    assert records[4][0].get_header("WARC-Concurrent-To") == records[3][0].get_header("WARC-Record-ID")
    assert response[0].get_header("WARC-IP-Address") == "203.0.113.7"
    assert response[0].get_header("WARC-Date") == "2024-06-02T15:10:05Z"
    assert request[1].protocol == "GET" and request[1].statusline == "/101.html HTTP/1.1"
    assert request[1].headers == REQUEST_HEADERS


@pytest.mark.parametrize(
    ("headers", "encode"),
    [
        ([("Content-Encoding", "gzip")], gzip.compress),
        ([("Content-Encoding", "deflate")], zlib.compress),
        ([("Content-Encoding", "br")], lambda data: pytest.importorskip("brotli").compress(data)),
        (
            [("Transfer-Encoding", "chunked")],
            lambda data: b"10\r\n" + data[:16] + b"\r\n%x\r\n" % (len(data) - 16) + data[16:] + b"\r\n0\r\n\r\n",
        ),
        (
            [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
            lambda data: b"%x\r\n" % len(gzip.compress(data)) + gzip.compress(data) + b"\r\n0\r\n\r\n",
        ),
    ],
    ids=["gzip", "deflate", "br", "chunked", "chunked-gzip"],
)
def test_encoded_body_is_decoded_on_read(tmp_path, headers, encode):
    wire = encode(HTML)
    assert wire != HTML
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        location = exchange(warc, body=wire, headers=[("Content-Type", "text/html"), *headers])
    [response] = iter_responses([tmp_path / "1.warc.gz"])
    assert response.body == HTML
    assert read_record(tmp_path, location).body == HTML
    assert raw_records(tmp_path / "1.warc.gz")[1][2] == wire  # stored as received
    assert response.payload_digest == sha1_base32(wire)


def test_encoding_header_on_an_already_decoded_body_falls_back_to_the_stored_bytes(tmp_path, caplog):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        exchange(warc, headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"):
        [response] = iter_responses([tmp_path / "1.warc.gz"])
    assert response.body == HTML
    assert "does not decode" in caplog.text


def test_revisit_round_trip(tmp_path):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        location = revisit(warc)
    [response] = iter_responses([tmp_path / "1.warc.gz"])
    assert response.record_type == "revisit"
    assert response.status == 304
    assert response.body == b""
    assert response.headers == [("ETag", '"abc"'), ("Date", "Sun, 02 Jun 2024 15:10:05 GMT")]
    assert response.payload_digest == "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"
    assert response.offset == location.offset
    warc_headers, http_headers, payload = raw_records(tmp_path / "1.warc.gz")[1]
    assert warc_headers.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
    assert warc_headers.get_header("WARC-Refers-To-Target-URI") == "https://www.itp6.com/101.html"
    assert warc_headers.get_header("WARC-Refers-To-Date") == "2024-05-01T00:00:00Z"
    assert http_headers.statusline == "304 Not Modified" and payload == b""


def test_revisit_without_an_earlier_capture(tmp_path):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        revisit(warc, refers_to_digest=None, refers_to_uri=None, refers_to_date=None)
    warc_headers = raw_records(tmp_path / "1.warc.gz")[1][0]
    assert warc_headers.get_header("WARC-Type") == "revisit"
    assert warc_headers.get_header("WARC-Payload-Digest") is None
    assert warc_headers.get_header("WARC-Refers-To-Target-URI") is None
    [response] = iter_responses([tmp_path / "1.warc.gz"])
    assert response.payload_digest is None and response.status == 304


def test_read_record_seeks_to_each_location(tmp_path):
    bodies = {post_id: HTML.replace(b"85", str(post_id).encode()) for post_id in (101, 102, 103)}
    with WarcFile.open(tmp_path / "3.warc.gz") as warc:
        locations = {post_id: exchange(warc, post_id, body) for post_id, body in bodies.items()}
        locations[0] = revisit(warc, 104)
    for post_id in (103, 101, 102):
        response = read_record(tmp_path, locations[post_id])
        assert response.url == f"https://www.itp6.com/{post_id}.html"
        assert response.body == bodies[post_id]
        assert response.offset == locations[post_id].offset
    assert read_record(tmp_path, locations[0]).url == "https://www.itp6.com/104.html"
    # The record right after a response is its request: not something an article can point at.
    after = locations[101]
    with pytest.raises(ValueError, match="request"):
        read_record(tmp_path, WarcLocation(after.file, after.offset + after.length, 1))
    with pytest.raises(ValueError):
        read_record(tmp_path, WarcLocation(after.file, after.offset + 3, 1))


def test_location_length_covers_exactly_the_response_member(tmp_path):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        location = exchange(warc)
    member = (tmp_path / "1.warc.gz").read_bytes()[location.offset : location.offset + location.length]
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = decompressor.decompress(member)
    assert decompressor.eof and decompressor.unused_data == b""
    assert text.startswith(b"WARC/1.0\r\n") and b"WARC-Type: response" in text and text.endswith(HTML + b"\r\n\r\n")


def test_runs_are_ordered_numerically(tmp_path):
    for run_id in (10, 2, 9, 1, 100):
        with WarcFile.open(tmp_path / f"{run_id}.warc.gz") as warc:
            exchange(warc, run_id)
    (tmp_path / "notes.warc.gz").write_bytes(b"")
    (tmp_path / "11.warc").write_bytes(b"")
    files = warc_files(tmp_path)
    assert [path.name for path in files] == ["1.warc.gz", "2.warc.gz", "9.warc.gz", "10.warc.gz", "100.warc.gz"]
    assert [r.url.rsplit("/", 1)[1] for r in iter_responses(files)] == [f"{i}.html" for i in (1, 2, 9, 10, 100)]
    assert warc_files(tmp_path / "missing") == []


def write_three(path):
    with WarcFile.open(path) as warc:
        return [exchange(warc, post_id, HTML * post_id) for post_id in (1, 2, 30)]


@pytest.mark.parametrize("cut", [1, 12, 60, 300, -30, -1])
def test_truncated_last_record_ends_that_file_cleanly(tmp_path, caplog, cut):
    path = tmp_path / "1.warc.gz"
    locations = write_three(path)
    data = path.read_bytes()
    last = locations[-1]
    path.write_bytes(data[: last.offset + cut if cut > 0 else last.offset + last.length + cut])
    later = tmp_path / "2.warc.gz"
    with WarcFile.open(later) as warc:
        exchange(warc, 4)

    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"):
        urls = [r.url for r in iter_responses([path, later])]
    assert urls == [f"https://www.itp6.com/{i}.html" for i in (1, 2, 4)]
    assert "1.warc.gz" in caplog.text and f"offset {last.offset}" in caplog.text
    with pytest.raises(ValueError):
        read_record(tmp_path, last)


def test_reopening_a_truncated_file_cuts_the_partial_record_and_appends(tmp_path, caplog):
    path = tmp_path / "1.warc.gz"
    locations = write_three(path)
    path.write_bytes(path.read_bytes()[: locations[-1].offset + 100])
    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"), WarcFile.open(path) as warc:
        new = exchange(warc, 5)
    assert "partial last record" in caplog.text
    assert new.offset == locations[-1].offset
    assert [r.url for r in iter_responses([path])] == [f"https://www.itp6.com/{i}.html" for i in (1, 2, 5)]


def test_damage_in_the_middle_is_not_cut_off(tmp_path, caplog):
    path = tmp_path / "1.warc.gz"
    locations = write_three(path)
    data = bytearray(path.read_bytes())
    middle = locations[1].offset + locations[1].length // 2
    data[middle : middle + 8] = b"\x00" * 8
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"):
        urls = [r.url for r in iter_responses([path])]
    assert urls == ["https://www.itp6.com/1.html"]
    assert f"offset {locations[1].offset}" in caplog.text
    with pytest.raises(ValueError, match="damaged"):
        WarcFile.open(path)
    assert path.read_bytes() == bytes(data)  # left as it was


def rewrite_member(path, location, change):
    """Replace the gzip member at ``location`` with a recompressed ``change(text)``."""
    data = path.read_bytes()
    text = gzip.decompress(data[location.offset : location.offset + location.length])
    member = gzip.compress(change(text))
    path.write_bytes(data[: location.offset] + member + data[location.offset + location.length :])


def test_record_shorter_than_its_content_length_is_not_yielded(tmp_path, caplog):
    path = tmp_path / "1.warc.gz"
    locations = write_three(path)
    rewrite_member(path, locations[1], lambda text: text.replace(b"</html>\r\n\r\n", b"\r\n\r\n", 1)[:-1])
    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"):
        urls = [r.url for r in iter_responses([path])]
    assert urls == ["https://www.itp6.com/1.html"]
    assert "cut short" in caplog.text
    with pytest.raises(ValueError, match="cut short"):
        read_record(tmp_path, locations[1])


def test_bytes_that_are_not_a_warc_record_are_not_read_as_one(tmp_path, caplog):
    # warcio would take this for an ARC record (a response) and read it without complaint.
    (tmp_path / "1.warc.gz").write_bytes(gzip.compress(b"http://x/ 1.2.3.4 20240101000000 text/html 5\nhello\n"))
    with caplog.at_level(logging.WARNING, logger="itp6crawl.warc"):
        assert list(iter_responses([tmp_path / "1.warc.gz"])) == []
    assert "not a WARC record" in caplog.text
    with pytest.raises(ValueError):
        read_record(tmp_path, WarcLocation("1.warc.gz", 0, 1))


def test_fsync_on_flush_and_close_not_per_record(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr("itp6crawl.warc.os.fsync", synced.append)
    warc = WarcFile.open(tmp_path / "1.warc.gz")
    exchange(warc, 1)
    exchange(warc, 2)
    assert synced == []
    warc.flush()
    assert len(synced) == 1
    warc.close()
    warc.close()
    assert len(synced) == 2


def test_payload_digest_is_warcios_sha1_base32_of_the_body(tmp_path):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        exchange(warc)
    [response] = iter_responses([tmp_path / "1.warc.gz"])
    digester = Digester("sha1")
    digester.update(HTML)
    assert response.payload_digest == str(digester) == sha1_base32(HTML)


def test_appending_keeps_earlier_records(tmp_path):
    path = tmp_path / "1.warc.gz"
    with WarcFile.open(path) as warc:
        first = exchange(warc, 1)
    size = path.stat().st_size
    with WarcFile.open(path) as warc:
        second = exchange(warc, 2)
        third = revisit(warc, 1)
    assert second.offset == size
    assert [(r.url, r.record_type) for r in iter_responses([path])] == [
        ("https://www.itp6.com/1.html", "response"),
        ("https://www.itp6.com/2.html", "response"),
        ("https://www.itp6.com/1.html", "revisit"),
    ]
    assert read_record(tmp_path, first).body == HTML and read_record(tmp_path, third).status == 304
    types = [r[0].get_header("WARC-Type") for r in raw_records(path)]
    assert types.count("warcinfo") == 1 and types[0] == "warcinfo"


class FullDisk(io.BytesIO):
    """A file that accepts ``room`` bytes, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data) -> int:
        if self.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_oserror_on_write_propagates_and_stops_the_file():
    out = FullDisk(room=700)
    warc = WarcFile(out, "1.warc.gz")  # the warcinfo record fits
    with pytest.raises(OSError) as raised:
        for post_id in range(10):
            exchange(warc, post_id)
    assert raised.value.errno == errno.ENOSPC
    out.room = 10**9  # space again: the file still ends in a partial record, so nothing more is written
    with pytest.raises(OSError, match="earlier write failed"):
        exchange(warc, 99)
    with pytest.raises(OSError, match="earlier write failed"):
        warc.flush()
    warc.close()


def test_oserror_while_writing_warcinfo_propagates():
    with pytest.raises(OSError):
        WarcFile(FullDisk(room=10), "1.warc.gz")


def test_bad_input_is_refused(tmp_path):
    with WarcFile.open(tmp_path / "1.warc.gz") as warc:
        with pytest.raises(ValueError, match="timezone"):
            exchange(warc, date=datetime(2024, 6, 2, 23, 10))
        with pytest.raises(ValueError, match="line break"):
            exchange(warc, headers=[("X-Evil", "a\r\nWARC-Type: x")])
        exchange(warc, date=datetime(2024, 6, 2, 15, 10, 5, tzinfo=UTC))
    [response] = iter_responses([tmp_path / "1.warc.gz"])
    assert response.date == FETCHED


def test_flushed_records_survive_sigkill(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import datetime, timezone
        from pathlib import Path
        from itp6crawl.warc import WarcFile
        warc = WarcFile.open(Path({str(tmp_path / "1.warc.gz")!r}))
        for i in range(3):
            warc.write_exchange(url=f"https://www.itp6.com/{{i}}.html", method="GET", request_headers=[], status=200,
                                reason="OK", response_headers=[], body=b"x" * 5000, date=datetime.now(timezone.utc))
        warc.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert [r.url for r in iter_responses([tmp_path / "1.warc.gz"])] == [
        f"https://www.itp6.com/{i}.html" for i in range(3)
    ]
