"""The autodate field: set by the server on create and/or update, never by clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Field, FieldContext
from backroom.errors import ErrorDetail

__all__ = ["AutodateField"]

_EITHER = ErrorDetail("validation_required", "Either onCreate or onUpdate must be enabled.")


@dataclass(kw_only=True)
class AutodateField(Field):
    type = "autodate"
    read_only = True

    onCreate: bool = False
    onUpdate: bool = False

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out.pop("help", None)
        return out

    def validate_definition(self) -> dict[str, ErrorDetail]:
        if not self.onCreate and not self.onUpdate:
            return {"onCreate": _EITHER, "onUpdate": _EITHER}
        return {}

    def on_save(self, value: Any, ctx: FieldContext) -> Any:
        if (ctx.is_new and self.onCreate) or (not ctx.is_new and self.onUpdate):
            return ctx.now
        if ctx.is_new:
            return ""
        return ctx.old.get(self.name, value)
