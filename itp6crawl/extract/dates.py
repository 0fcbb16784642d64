"""Dates as the site shows them, normalised to ISO 8601 in China Standard Time (+08:00).

The theme prints ``2024年6月2日 下午11:10`` (12-hour clock with 上午/下午), or, for posts under a week
old, a relative form such as ``3天前`` that only makes sense against the time the page was fetched.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..times import CST, iso, parse_iso

_CN_DATE = re.compile(
    r"(?P<y>\d{4})\s*[年/.-]\s*(?P<m>\d{1,2})\s*[月/.-]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<ampm>上午|下午|凌晨|早上|中午|晚上)?\s*(?P<H>\d{1,2})\s*[:：点]\s*(?P<M>\d{1,2})?(?:\s*[:：]\s*(?P<S>\d{1,2}))?)?"
)
_MD_ONLY = re.compile(r"^(?P<m>\d{1,2})\s*[月/-]\s*(?P<d>\d{1,2})\s*日?(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?$")
_RELATIVE = re.compile(r"(?P<n>\d+|半|一|两|几)\s*(?P<unit>秒|分钟|分|小时|个小时|天|周|星期|个月|月)\s*前")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_CN_NUMBERS = {"一": 1, "两": 2, "半": 0, "几": 3}
_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
    "个月": timedelta(days=30),
    "月": timedelta(days=30),
}


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(CST)).astimezone(CST)


def _hour(hour: int, ampm: str | None) -> int:
    if ampm in ("下午", "晚上") and hour < 12:
        return hour + 12
    if ampm == "中午" and hour < 11:
        return hour + 12
    if ampm in ("上午", "凌晨", "早上") and hour == 12:
        return 0
    return hour


def parse_date(text: str | None, now: datetime | None = None) -> datetime | None:
    """Any date form the site prints: ISO, Chinese absolute (with 上午/下午), or relative to ``now``."""
    if not text:
        return None
    text = " ".join(text.split())
    moment = parse_iso(text)
    if moment:
        return moment
    match = _CN_DATE.search(text)
    if match:
        hour = _hour(int(match["H"]), match["ampm"]) if match["H"] else 0
        try:
            return datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                hour,
                int(match["M"] or 0),
                int(match["S"] or 0),
                tzinfo=CST,
            )
        except ValueError:
            return None
    reference = _now(now)
    if "刚刚" in text:
        return reference
    match = _RELATIVE.search(text)
    if match:
        raw = match["n"]
        unit = _UNITS[match["unit"]]
        count = int(raw) if raw.isdigit() else _CN_NUMBERS[raw]
        moment = reference - (unit * count if raw != "半" else unit / 2)
        # Only as precise as the unit shown, so the same page gives the same time on every crawl that day.
        precision = min(unit, timedelta(days=1))
        return _truncate(moment, precision)
    for word, days_ago in _DAY_WORDS.items():
        if text.startswith(word):
            clock = re.search(r"(上午|下午|凌晨|早上|中午|晚上)?\s*(\d{1,2}):(\d{2})", text)
            day = reference - timedelta(days=days_ago)
            hour, minute = (_hour(int(clock[2]), clock[1]), int(clock[3])) if clock else (0, 0)
            return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    match = _MD_ONLY.match(text)
    if match:  # month and day only: this year, or last year if that would be in the future
        try:
            moment = reference.replace(
                month=int(match["m"]),
                day=int(match["d"]),
                hour=int(match["H"] or 0),
                minute=int(match["M"] or 0),
                second=0,
                microsecond=0,
            )
        except ValueError:
            return None
        return moment if moment <= reference else moment.replace(year=moment.year - 1)
    return None


def _truncate(moment: datetime, precision: timedelta) -> datetime:
    """``moment`` rounded down to a whole ``precision`` (second, minute, hour or day) in China time."""
    moment = moment.astimezone(CST).replace(microsecond=0)
    if precision >= timedelta(days=1):
        return moment.replace(hour=0, minute=0, second=0)
    if precision >= timedelta(hours=1):
        return moment.replace(minute=0, second=0)
    if precision >= timedelta(minutes=1):
        return moment.replace(second=0)
    return moment


def normalise_datetime(text: str | None, now: datetime | None = None) -> str | None:
    """ISO 8601 with +08:00, or None when ``text`` holds no date."""
    moment = parse_date(text, now)
    return iso(moment) if moment else None


def normalise_day(text: str | None, now: datetime | None = None) -> str | None:
    """Only the calendar day (YYYY-MM-DD) in China time, e.g. for related-post dates."""
    moment = parse_date(text, now)
    return moment.astimezone(CST).date().isoformat() if moment else None


_COUNT = re.compile(r"(\d+(?:[.,]\d+)*)\s*([kKwW万千]?)")


def parse_count(text: str | None) -> int | None:
    """``1234`` -> 1234, ``1,234`` -> 1234, ``1.0K`` -> 1000, ``1.2W``/``1.2万`` -> 12000."""
    if not text:
        return None
    match = _COUNT.search(text)
    if not match:
        return None
    number, unit = match.groups()
    scale = {"k": 1000, "千": 1000, "w": 10000, "万": 10000}.get(unit.lower(), 1)
    if scale == 1:
        return int(number.replace(",", "").split(".")[0])
    return round(float(number.replace(",", "")) * scale)
