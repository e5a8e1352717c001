"""Time as PocketBase formats it: ``YYYY-MM-DD HH:MM:SS.mmmZ`` in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock", "format_datetime"]


def format_datetime(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class SystemClock:
    def now(self) -> str:
        return format_datetime(datetime.now(UTC))

    def now_dt(self) -> datetime:
        return datetime.now(UTC)
