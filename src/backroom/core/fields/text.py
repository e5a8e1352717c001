"""The text field, also used for ``id`` and ``tokenKey``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from backroom.core.fields.base import Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_text
from backroom.core.fields.patterns import generate, invalid_regex
from backroom.errors import ErrorDetail

__all__ = ["DEFAULT_TEXT_MAX", "TextField", "compiled_pattern"]

DEFAULT_TEXT_MAX = 5000


@lru_cache(maxsize=512)
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def length_errors(value: str, lo: int, hi: int) -> ErrorDetail | None:
    n = len(value)
    if lo and n < lo:
        return ErrorDetail(
            "validation_min_text_constraint", f"Must be at least {lo} character(s).", {"min": lo}
        )
    if hi and n > hi:
        return ErrorDetail(
            "validation_max_text_constraint",
            f"Must be no more than {hi} character(s).",
            {"max": hi},
        )
    return None


def min_max_definition_errors(lo: int, hi: int) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    if lo < 0:
        errors["min"] = ErrorDetail(
            "validation_min_greater_equal_than_required",
            "Must be no less than 0.",
            {"threshold": 0},
        )
    if hi < 0 or (hi and hi < lo):
        errors["max"] = ErrorDetail(
            "validation_min_greater_equal_than_required",
            f"Must be no less than {max(lo, 0)}.",
            {"threshold": max(lo, 0)},
        )
    return errors


@dataclass(kw_only=True)
class TextField(Field):
    type = "text"

    autogeneratePattern: str = ""
    max: int = 0
    min: int = 0
    pattern: str = ""
    primaryKey: bool = False
    required: bool = False

    def validate_definition(self) -> dict[str, ErrorDetail]:
        errors = min_max_definition_errors(self.min, self.max)
        for option in ("pattern", "autogeneratePattern"):
            message = invalid_regex(getattr(self, option))
            if message:
                errors[option] = ErrorDetail("validation_invalid_regex", message)
        return errors

    def normalize(self, raw: Any) -> str:
        return as_text(raw)

    def on_save(self, value: Any, ctx: FieldContext) -> Any:
        if value == "" and self.autogeneratePattern and ctx.is_new:
            return generate(self.autogeneratePattern)
        return value

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not isinstance(value, str) or value == "":
            return REQUIRED if self.required or self.primaryKey else None
        err = length_errors(value, self.min, self.max or DEFAULT_TEXT_MAX)
        if err is not None:
            return err
        if self.pattern and not compiled_pattern(self.pattern).search(value):
            return ErrorDetail("validation_invalid_format", "Invalid value format.")
        if self.primaryKey and not ctx.is_new and ctx.old.get(self.name) != value:
            return ErrorDetail("validation_pk_change", "The record primary key cannot be changed.")
        return None
