"""The json field: any JSON value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Column, ColumnKind, Field, FieldContext
from backroom.core.fields.common import REQUIRED
from backroom.errors import ErrorDetail

__all__ = ["JSONField"]

DEFAULT_JSON_MAX_SIZE = 1 << 20


@dataclass(kw_only=True)
class JSONField(Field):
    type = "json"

    maxSize: int = 0
    required: bool = False

    @property
    def column(self) -> Column:
        return Column(ColumnKind.JSON, None)

    def zero(self) -> Any:
        return None

    def normalize(self, raw: Any) -> Any:
        """A string holding valid JSON is that JSON; any other string stays a string."""
        if isinstance(raw, str):
            try:
                return json.loads(raw)
            except ValueError:
                return raw
        return raw

    def to_db(self, value: Any) -> Any:
        return (
            None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        )

    def from_db(self, value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return None

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if value in (None, "", [], {}):
            return REQUIRED if self.required else None
        limit = self.maxSize or DEFAULT_JSON_MAX_SIZE
        if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) > limit:
            return ErrorDetail(
                "validation_json_size_limit",
                f"The maximum allowed JSON size is {limit} bytes.",
                {"maxSize": limit},
            )
        return None
