"""Time as the site and the archive keep it: China Standard Time, ISO 8601 with its ``+08:00``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# China Standard Time: every timestamp of the site and the archive is in it.
CST = timezone(timedelta(hours=8), "CST")


def iso(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS+08:00``; naive datetimes are taken as China time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.astimezone(CST).replace(microsecond=0).isoformat()


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z``, an offset, or none meaning China time); None when it is not one."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CST)
