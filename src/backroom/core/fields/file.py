"""The file field: the names of a record's stored files, and the options its uploads obey."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backroom.core.fields.base import FieldContext
from backroom.core.fields.common import REQUIRED, as_text
from backroom.core.fields.multi import MultiValueField
from backroom.errors import ErrorDetail

__all__ = ["DEFAULT_MAX_FILE_SIZE", "FileField"]

DEFAULT_MAX_FILE_SIZE = 5 << 20
_THUMB = re.compile(r"^(\d+)x(\d+)(t|b|f)?$")
_ZERO_THUMB = re.compile(r"^0x0[tbf]?$")


def _name_of(item: Any) -> str:
    """An upload stands in the value by the name it will be stored under."""
    name = getattr(item, "name", None)
    if isinstance(name, str) and hasattr(item, "original_name"):
        return name
    return as_text(item)


def _names(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[str] = []
    for item in items:
        name = _name_of(item)
        if name and name not in out:
            out.append(name)
    return out


def _min_zero() -> ErrorDetail:
    return ErrorDetail(
        "validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0}
    )


@dataclass(kw_only=True)
class FileField(MultiValueField):
    type = "file"

    maxSize: int = 0
    mimeTypes: list[str] = field(default_factory=list)
    protected: bool = False
    thumbs: list[str] = field(default_factory=list)

    @property
    def max_bytes(self) -> int:
        """The largest upload accepted: ``maxSize``, or 5 MiB when it is 0."""
        return self.maxSize if self.maxSize > 0 else DEFAULT_MAX_FILE_SIZE

    @property
    def max_body_bytes(self) -> int:
        """How much this field may add to a request body."""
        return self.max_bytes * max(self.maxSelect, 1)

    def validate_definition(self) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if self.maxSize < 0:
            errors["maxSize"] = _min_zero()
        if self.maxSelect < 0:
            errors["maxSelect"] = _min_zero()
        thumbs: dict[str, ErrorDetail] = {}
        for i, spec in enumerate(self.thumbs):
            if not _THUMB.match(spec):
                thumbs[str(i)] = ErrorDetail(
                    "validation_match_invalid", "Must be in a valid format."
                )
            elif _ZERO_THUMB.match(spec):
                thumbs[str(i)] = ErrorDetail("validation_not_in_invalid", "Must not be in list.")
        if thumbs:
            errors["thumbs"] = thumbs
        return errors

    def given(self, raw: Any) -> list[str]:
        return _names(raw)

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        values = self.values_of(value)
        if not values:
            return REQUIRED if self.required else None
        limit = max(self.maxSelect, 1)
        if len(values) > limit:
            return ErrorDetail(
                "validation_too_many_files",
                f"The maximum allowed files is {limit}.",
                {"maxSelect": limit},
            )
        return None
