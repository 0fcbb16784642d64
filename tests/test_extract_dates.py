from datetime import datetime

import pytest

from itp6crawl.extract.dates import normalise_datetime, normalise_day, parse_count
from itp6crawl.times import CST

NOW = datetime(2024, 6, 5, 12, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-02T23:10:00+08:00", "2024-06-02T23:10:00+08:00"),
        ("2024-06-02T15:10:00Z", "2024-06-02T23:10:00+08:00"),  # UTC converted to China time
        ("2024-06-02 23:10:00", "2024-06-02T23:10:00+08:00"),  # naive means China time
        ("2024年6月2日 下午11:10", "2024-06-02T23:10:00+08:00"),
        ("2024年6月2日 上午11:10", "2024-06-02T11:10:00+08:00"),
        ("2024年6月2日 上午12:05", "2024-06-02T00:05:00+08:00"),  # 12-hour clock: 上午12点 is midnight
        ("2024年6月2日 下午12:05", "2024-06-02T12:05:00+08:00"),
        ("2019年12月31日", "2019-12-31T00:00:00+08:00"),
        ("3天前", "2024-06-02T00:00:00+08:00"),  # only as precise as the unit shown
        ("5小时前", "2024-06-05T07:00:00+08:00"),
        ("20分钟前", "2024-06-05T11:40:00+08:00"),
        ("昨天 08:30", "2024-06-04T08:30:00+08:00"),
        ("昨天 下午3:10", "2024-06-04T15:10:00+08:00"),
        ("刚刚", "2024-06-05T12:00:00+08:00"),
        ("", None),
        ("not a date", None),
        ("2024年2月30日", None),
    ],
)
def test_normalise_datetime(text, expected):
    assert normalise_datetime(text, NOW) == expected


def test_relative_dates_need_the_fetch_time_not_the_clock():
    assert normalise_datetime("1天前", datetime(2020, 1, 2, 9, 0, tzinfo=CST)) == "2020-01-01T00:00:00+08:00"


def test_relative_dates_are_stable_across_crawls_the_same_day():
    morning, evening = datetime(2024, 6, 5, 8, 1, 7, tzinfo=CST), datetime(2024, 6, 5, 21, 30, 59, tzinfo=CST)
    assert normalise_datetime("3天前", morning) == normalise_datetime("3天前", evening)
    assert normalise_datetime("2小时前", datetime(2024, 6, 5, 8, 1, 7, tzinfo=CST)) == "2024-06-05T06:00:00+08:00"


def test_normalise_day():
    assert normalise_day("2024-05-30", NOW) == "2024-05-30"
    assert normalise_day("2天前", NOW) == "2024-06-03"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", 1234),
        ("阅读 1,234", 1234),
        ("1.0K", 1000),
        ("2.5k", 2500),
        ("1.2W", 12000),
        ("3万", 30000),
        ("(0)", 0),
        ("", None),
        ("无", None),
    ],
)
def test_parse_count(text, expected):
    assert parse_count(text) == expected
