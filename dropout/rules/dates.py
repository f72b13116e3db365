"""Dates as people type them (2015-09-01, 2015/9/1, 2015.09.01, 20150901, 2015年9月1日), and county-local days."""

import re
from datetime import UTC, date
from zoneinfo import ZoneInfo

_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(text):
    """A date from common Chinese spellings, None for blank; ValueError otherwise."""
    if isinstance(text, date):
        return text
    text = (text or "").strip()
    if not text:
        return None
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def local_date(at, zone_name):
    """The county-local calendar day of a stored UTC time."""
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone_name)).date()
