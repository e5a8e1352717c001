"""The date field and the datetime format shared with autodate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backroom.core.fields.base import Field, FieldContext
from backroom.core.fields.common import REQUIRED
from backroom.errors import ErrorDetail

__all__ = ["DateField", "parse_datetime"]

_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(raw: Any) -> str:
    """Any accepted date input as ``YYYY-MM-DD HH:MM:SS.mmmZ`` in UTC, or "" when not a date."""
    if isinstance(raw, datetime):
        dt = raw
    elif isinstance(raw, str) and len(raw) <= 64:
        m = _DATE_RE.match(raw.strip())
        if m is None:
            return ""
        y, mo, d, h, mi, s, frac, tz = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        try:
            dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
        except ValueError:
            return ""
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
            dt = dt.replace(tzinfo=UTC) - timedelta(minutes=offset)
        dt = dt.replace(tzinfo=UTC)
    else:
        return ""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(kw_only=True)
class DateField(Field):
    type = "date"

    max: str = ""
    min: str = ""
    required: bool = False

    def validate_definition(self) -> dict[str, ErrorDetail]:
        errors: dict[str, ErrorDetail] = {}
        for option in ("min", "max"):
            value = getattr(self, option)
            if value and not parse_datetime(value):
                errors[option] = ErrorDetail("validation_invalid_date", "Must be a valid date.")
        return errors

    def normalize(self, raw: Any) -> str:
        if raw is None or raw == "":
            return ""
        value = parse_datetime(raw)
        if not value:
            raise ValueError(ErrorDetail("validation_invalid_date", "Must be a valid date."))
        return value

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not value:
            return REQUIRED if self.required else None
        lo, hi = parse_datetime(self.min), parse_datetime(self.max)
        if lo and value < lo:
            return ErrorDetail(
                "validation_min_date_constraint", f"Must be no earlier than {lo}.", {"min": lo}
            )
        if hi and value > hi:
            return ErrorDetail(
                "validation_max_date_constraint", f"Must be no later than {hi}.", {"max": hi}
            )
        return None
