"""The number field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Column, ColumnKind, Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_number, number_out
from backroom.errors import ErrorDetail

__all__ = ["NumberField"]


def _fmt(value: float) -> str:
    return str(number_out(value))


@dataclass(kw_only=True)
class NumberField(Field):
    type = "number"

    max: float | None = None
    min: float | None = None
    onlyInt: bool = False
    required: bool = False

    def validate_definition(self) -> dict[str, ErrorDetail]:
        if self.min is not None and self.max is not None and self.max < self.min:
            return {
                "max": ErrorDetail(
                    "validation_min_number_constraint",
                    f"Must be greater or equal than {_fmt(self.min)}.",
                    {"min": number_out(self.min)},
                )
            }
        return {}

    @property
    def column(self) -> Column:
        return Column(ColumnKind.NUMBER, 0)

    def zero(self) -> Any:
        return 0

    def normalize(self, raw: Any) -> int | float:
        return as_number(raw)

    def from_db(self, value: Any) -> Any:
        if isinstance(value, float):
            return number_out(value)
        return value if isinstance(value, int) else as_number(value)

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not isinstance(value, int | float) or not math.isfinite(value):
            return ErrorDetail("validation_invalid_number", "Must be a valid number.")
        if value == 0:
            return REQUIRED if self.required else None
        if self.onlyInt and not float(value).is_integer():
            return ErrorDetail("validation_only_int_constraint", "Decimal numbers are not allowed.")
        if self.min is not None and value < self.min:
            return ErrorDetail(
                "validation_min_number_constraint",
                f"Must be greater or equal than {_fmt(self.min)}.",
                {"min": number_out(self.min)},
            )
        if self.max is not None and value > self.max:
            return ErrorDetail(
                "validation_max_number_constraint",
                f"Must be less or equal than {_fmt(self.max)}.",
                {"max": number_out(self.max)},
            )
        return None

    def apply_modifier(self, current: Any, modifier: str, raw: Any) -> Any:
        delta = as_number(raw)
        base = as_number(current)
        if modifier == "+":
            return number_out(float(base + delta))
        if modifier == "-":
            return number_out(float(base - delta))
        return current
