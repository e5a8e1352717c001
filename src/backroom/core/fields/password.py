"""The password field: only ever stored as a hash, and never sent back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backroom.core.auth.passwords import COMMON_PASSWORD, MAX_PASSWORD_CHARS, is_common
from backroom.core.fields.base import Field, FieldContext
from backroom.core.fields.common import REQUIRED
from backroom.core.fields.patterns import invalid_regex
from backroom.core.fields.text import compiled_pattern, min_max_definition_errors
from backroom.errors import ErrorDetail

__all__ = ["MAX_PASSWORD_CHARS", "PasswordField"]


@dataclass(kw_only=True)
class PasswordField(Field):
    type = "password"

    cost: int = 0
    max: int = 0
    min: int = 0
    pattern: str = ""
    required: bool = False

    def validate_definition(self) -> dict[str, ErrorDetail]:
        errors = min_max_definition_errors(self.min, self.max)
        if self.max > MAX_PASSWORD_CHARS:
            errors["max"] = ErrorDetail(
                "validation_max_less_equal_than_required",
                f"Must be no greater than {MAX_PASSWORD_CHARS}.",
                {"threshold": MAX_PASSWORD_CHARS},
            )
        message = invalid_regex(self.pattern)
        if message:
            errors["pattern"] = ErrorDetail("validation_invalid_regex", message)
        return errors

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        """Checks a plain password (before hashing)."""
        if not isinstance(value, str) or value == "":
            return REQUIRED if self.required else None
        if self.min and len(value) < self.min:
            return ErrorDetail(
                "validation_min_text_constraint", f"Must be at least {self.min} character(s)."
            )
        limit = self.max or MAX_PASSWORD_CHARS
        if len(value) > limit:
            return ErrorDetail(
                "validation_max_text_constraint", f"Must be less than {limit} character(s)."
            )
        if self.pattern and not compiled_pattern(self.pattern).search(value):
            return ErrorDetail("validation_invalid_format", "Invalid value format.")
        return COMMON_PASSWORD if is_common(value) else None
