"""Fields holding one value or, with ``maxSelect`` > 1, a list: select, relation, file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Column, ColumnKind, Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_list
from backroom.errors import ErrorDetail

__all__ = ["MultiValueField"]


@dataclass(kw_only=True)
class MultiValueField(Field):
    maxSelect: int = 0
    required: bool = False

    @property
    def is_multiple(self) -> bool:
        return self.maxSelect > 1

    @property
    def column(self) -> Column:
        if self.is_multiple:
            return Column(ColumnKind.JSON, "[]")
        return Column(ColumnKind.TEXT, "")

    def zero(self) -> Any:
        return [] if self.is_multiple else ""

    def given(self, raw: Any) -> list[str]:
        """The values a request sends, unique and in order."""
        return as_list(raw)

    def normalize(self, raw: Any) -> Any:
        items = self.given(raw)
        if self.is_multiple:
            return items
        return items[-1] if items else ""

    def to_db(self, value: Any) -> Any:
        return (
            json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            if self.is_multiple
            else value
        )

    def from_db(self, value: Any) -> Any:
        if not self.is_multiple:
            return value if isinstance(value, str) else ""
        if isinstance(value, str) and value:
            try:
                parsed = json.loads(value)
            except ValueError:
                return [value]
            return parsed if isinstance(parsed, list) else [str(parsed)]
        return []

    def count_errors(self, values: list[str]) -> ErrorDetail | None:
        if not values:
            return REQUIRED if self.required else None
        limit = max(self.maxSelect, 1)
        if len(values) > limit:
            return ErrorDetail(
                "validation_too_many_values",
                f"Select no more than {limit}.",
                {"maxSelect": limit},
            )
        return None

    def values_of(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        return [value] if value else []

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        return self.count_errors(self.values_of(value))

    def apply_modifier(self, current: Any, modifier: str, raw: Any) -> Any:
        items = self.values_of(current)
        given = self.given(raw)
        if modifier == "+":
            items = items + [v for v in given if v not in items]
        elif modifier == "^":
            items = [v for v in given if v not in items] + items
        elif modifier == "-":
            items = [v for v in items if v not in given]
        if self.is_multiple:
            return items
        return items[-1] if items else ""
