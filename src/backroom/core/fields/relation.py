"""The relation field: ids of records in another collection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import FieldContext
from backroom.core.fields.common import REQUIRED
from backroom.core.fields.multi import MultiValueField
from backroom.errors import ErrorDetail

__all__ = ["RelationField"]


@dataclass(kw_only=True)
class RelationField(MultiValueField):
    type = "relation"

    cascadeDelete: bool = False
    collectionId: str = ""
    minSelect: int = 0

    def validate_definition(self) -> dict[str, ErrorDetail]:
        if not self.collectionId:
            return {"collectionId": REQUIRED}
        if self.minSelect < 0 or (self.maxSelect and self.minSelect > self.maxSelect):
            return {
                "minSelect": ErrorDetail(
                    "validation_max_less_equal_than_required",
                    f"Must be no greater than {self.maxSelect}.",
                    {"threshold": self.maxSelect},
                )
            }
        return {}

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        values = self.values_of(value)
        if values and self.minSelect and len(values) < self.minSelect:
            return ErrorDetail(
                "validation_not_enough_values",
                f"Select at least {self.minSelect}.",
                {"minSelect": self.minSelect},
            )
        return self.count_errors(values)
