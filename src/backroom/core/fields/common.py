"""Shared casts and error details: PocketBase converts loosely typed input, never rejects it."""

from __future__ import annotations

import math
from typing import Any

from backroom.errors import ErrorDetail

__all__ = [
    "INVALID",
    "REQUIRED",
    "as_bool",
    "as_list",
    "as_number",
    "as_text",
    "invalid",
    "number_out",
]

REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
INVALID = ErrorDetail("validation_invalid_value", "Invalid value.")
# The spellings Go's strconv.ParseBool knows, which PocketBase uses. PocketBase reads any
# other string as false; Backroom refuses it rather than silently store the opposite of
# a "yes" or an "on".
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"", "0", "f", "F", "false", "FALSE", "False"}


def invalid() -> ValueError:
    """PocketBase would quietly turn such a value into a zero; Backroom refuses it."""
    return ValueError(INVALID)


def as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(number_out(raw)) if math.isfinite(raw) else ""
    if raw is None:
        return ""
    raise invalid()


def as_number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        return 1 if raw else 0
    if isinstance(raw, int | float):
        return number_out(float(raw)) if math.isfinite(raw) else 0
    if isinstance(raw, str):
        if not raw.strip():
            return 0
        try:
            value = float(raw.strip())
        except ValueError:
            raise invalid() from None
        if not math.isfinite(value):
            raise invalid()
        return number_out(value)
    if raw is None:
        return 0
    raise invalid()


def number_out(value: float) -> int | float:
    """Integral floats become ints so JSON prints ``5``, not ``5.0``."""
    if isinstance(value, int):
        return value
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    if isinstance(raw, str):
        text = raw.strip()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if raw is None:
        return False
    raise invalid()


def as_list(raw: Any) -> list[str]:
    """A string or a list of values as a list of unique non-empty strings, in order."""
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[str] = []
    for item in items:
        text = as_text(item)
        if text and text not in out:
            out.append(text)
    return out
