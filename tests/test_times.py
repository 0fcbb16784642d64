"""China time, as the site and the archive write it."""

from __future__ import annotations

from datetime import UTC, datetime

from itp6crawl.times import CST, iso, parse_iso


def test_iso_writes_china_time_with_its_offset():
    assert iso(datetime(2024, 6, 5, 4, 0, 0, 123456, tzinfo=UTC)) == "2024-06-05T12:00:00+08:00"
    assert iso(datetime(2024, 6, 5, 12, 0)) == "2024-06-05T12:00:00+08:00"  # naive: China time


def test_parse_iso_reads_every_offset_and_takes_none_as_china_time():
    assert parse_iso("2024-06-05T04:00:00Z") == datetime(2024, 6, 5, 12, tzinfo=CST)
    assert parse_iso(" 2024-06-05 12:00:00 ") == datetime(2024, 6, 5, 12, tzinfo=CST)
    assert parse_iso("2024-06-05T12:00:00+08:00") == datetime(2024, 6, 5, 12, tzinfo=CST)
    assert parse_iso("") is None and parse_iso("3天前") is None
