"""The select field: one or more values from a fixed list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backroom.core.fields.base import FieldContext
from backroom.core.fields.common import REQUIRED
from backroom.core.fields.multi import MultiValueField
from backroom.errors import ErrorDetail

__all__ = ["SelectField"]


@dataclass(kw_only=True)
class SelectField(MultiValueField):
    type = "select"

    values: list[str] = field(default_factory=list)

    def validate_definition(self) -> dict[str, ErrorDetail]:
        if not self.values:
            return {"values": REQUIRED}
        return {}

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        values = self.values_of(value)
        for v in values:
            if v not in self.values:
                return ErrorDetail("validation_invalid_value", f"Invalid value {v}.", {"value": v})
        return self.count_errors(values)
