"""The editor field: rich text (HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_text
from backroom.errors import ErrorDetail

__all__ = ["EditorField"]

DEFAULT_EDITOR_MAX_SIZE = 5 << 20


@dataclass(kw_only=True)
class EditorField(Field):
    type = "editor"

    convertURLs: bool = False
    maxSize: int = 0
    required: bool = False

    def normalize(self, raw: Any) -> str:
        return as_text(raw)

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not value:
            return REQUIRED if self.required else None
        limit = self.maxSize or DEFAULT_EDITOR_MAX_SIZE
        if len(str(value).encode()) > limit:
            return ErrorDetail(
                "validation_content_size_limit",
                f"The maximum allowed content size is {limit} bytes.",
                {"maxSize": limit},
            )
        return None
