"""The bool field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Column, ColumnKind, Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_bool
from backroom.errors import ErrorDetail

__all__ = ["BoolField"]


@dataclass(kw_only=True)
class BoolField(Field):
    type = "bool"

    required: bool = False

    @property
    def column(self) -> Column:
        return Column(ColumnKind.BOOL, False)

    def zero(self) -> Any:
        return False

    def normalize(self, raw: Any) -> bool:
        return as_bool(raw)

    def to_db(self, value: Any) -> Any:
        return 1 if value else 0

    def from_db(self, value: Any) -> Any:
        return bool(value)

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not value and self.required:
            return REQUIRED
        return None
