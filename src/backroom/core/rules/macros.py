"""Datetime macros (``@now``, ``@todayStart``, ...) computed at execution time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from backroom.core.clock import format_datetime

__all__ = ["MACROS"]


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(now: datetime) -> datetime:
    return _day_start(now).replace(day=1)


def _month_end(now: datetime) -> datetime:
    first_next = (_month_start(now) + timedelta(days=32)).replace(day=1)
    return first_next - timedelta(milliseconds=1)


MACROS: dict[str, Callable[[datetime], Any]] = {
    "now": format_datetime,
    "yesterday": lambda n: format_datetime(n - timedelta(days=1)),
    "tomorrow": lambda n: format_datetime(n + timedelta(days=1)),
    "second": lambda n: n.second,
    "minute": lambda n: n.minute,
    "hour": lambda n: n.hour,
    "day": lambda n: n.day,
    "month": lambda n: n.month,
    "year": lambda n: n.year,
    "weekday": lambda n: (n.weekday() + 1) % 7,
    "todayStart": lambda n: format_datetime(_day_start(n)),
    "todayEnd": lambda n: format_datetime(_day_start(n) + timedelta(days=1, milliseconds=-1)),
    "monthStart": lambda n: format_datetime(_month_start(n)),
    "monthEnd": lambda n: format_datetime(_month_end(n)),
    "yearStart": lambda n: format_datetime(_day_start(n).replace(month=1, day=1)),
    "yearEnd": lambda n: format_datetime(
        _day_start(n).replace(year=n.year + 1, month=1, day=1) - timedelta(milliseconds=1)
    ),
}
