"""Calendar months in UTC as epoch ranges: the overview's buckets."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MONTH_SQL = "strftime('%Y-%m', {column}, 'unixepoch')"
"""SQL that labels an epoch column with its UTC month, as `Month.label` does."""


@dataclass(frozen=True)
class Month:
    label: str  # "2026-12"
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive


def month_of(epoch: int) -> Month:
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return _month(when.year, when.month)


def _month(year: int, month: int) -> Month:
    start = calendar.timegm((year, month, 1, 0, 0, 0))
    end = calendar.timegm((year + month // 12, month % 12 + 1, 1, 0, 0, 0))
    return Month(f"{year:04d}-{month:02d}", start, end)


def last_months(as_of: int, count: int = 12) -> list[Month]:
    """The `count` months up to and including the one `as_of` falls in, oldest first."""
    current = month_of(as_of)
    year, month = int(current.label[:4]), int(current.label[5:])
    months = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + month - 1 - back
        months.append(_month(index // 12, index % 12 + 1))
    return months


def months_between(start: int, end: int) -> list[Month]:
    """The months that the range [start, end) touches, oldest first."""
    months = [month_of(start)]
    while months[-1].end < end:
        months.append(month_of(months[-1].end))
    return months


def parse_day(text: str) -> int:
    """`YYYY-MM-DD` -> the epoch of that day's UTC midnight (ValueError when malformed)."""
    day = dt.date.fromisoformat(text)
    return calendar.timegm((day.year, day.month, day.day, 0, 0, 0))
