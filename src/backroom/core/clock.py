"""Time as PocketBase formats it: ``YYYY-MM-DD HH:MM:SS.mmmZ`` in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock", "format_datetime", "parse_datetime"]


def format_datetime(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_datetime(value: str) -> datetime | None:
    """A stored time back as an aware UTC datetime; None when it is not one."""
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class SystemClock:
    def now(self) -> str:
        return format_datetime(datetime.now(UTC))

    def now_dt(self) -> datetime:
        return datetime.now(UTC)
