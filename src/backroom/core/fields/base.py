"""The contract every field type implements.

A field has three faces:

* its definition, as it appears in a collection's JSON (``from_json`` / ``to_json`` /
  ``validate_definition``);
* its storage shape (``column``), which the storage layer turns into DDL;
* its values: ``normalize`` turns client input into the canonical Python value,
  ``validate`` checks a canonical value, ``to_db`` / ``from_db`` convert for storage.

Canonical values are JSON-ready: ``str``, ``int | float``, ``bool``, ``list[str]``,
``dict`` or ``None`` (json fields only).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, ClassVar, Self

from backroom.errors import ErrorDetail

__all__ = ["Column", "ColumnKind", "Field", "FieldContext", "field_id_for"]


class ColumnKind(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Column:
    """How a field is stored: kind and the default for existing rows (NOT NULL unless None)."""

    kind: ColumnKind
    default: Any


@dataclass(slots=True)
class FieldContext:
    """What a value check may need beyond the value itself."""

    is_new: bool = True
    is_superuser: bool = False
    now: str = ""
    old: Mapping[str, Any] = field(default_factory=dict)


def field_id_for(type_name: str, name: str) -> str:
    """PocketBase's deterministic id for a field created without one."""
    return f"{type_name}{zlib.crc32(name.encode())}"


@dataclass(kw_only=True)
class Field:
    """Base of every field type; subclasses add their options as dataclass fields."""

    type: ClassVar[str] = ""
    read_only: ClassVar[bool] = False  # clients cannot set it (autodate)

    id: str = ""
    name: str = ""
    system: bool = False
    hidden: bool = False
    presentable: bool = False
    help: str = ""

    # ---- definition ---------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Build from collection JSON; unknown keys are ignored, wrong types raise ValueError."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data and data[f.name] is not None:
                kwargs[f.name] = cls._coerce_option(f.name, f.type, data[f.name])
        obj = cls(**kwargs)
        if not obj.id and obj.name:
            obj.id = field_id_for(cls.type, obj.name)
        return obj

    @classmethod
    def _coerce_option(cls, name: str, annotation: Any, value: Any) -> Any:
        """Check an option's JSON type against its annotation; ValueError when it is wrong."""
        kind = str(annotation)
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind in {"int", "int | None"}:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind in {"float | None", "float"}:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind == "str":
            ok = isinstance(value, str)
        elif kind == "list[str]":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = True
        if not ok:
            raise ValueError(f"invalid value for the {name!r} option")
        return list(value) if isinstance(value, list) else value

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["type"] = self.type
        return out

    def validate_definition(self) -> dict[str, Any]:
        """Errors in this field's options, keyed by option name: an ``ErrorDetail``, or a
        mapping of them for an option that is a list."""
        return {}

    # ---- storage --------------------------------------------------------------------

    @property
    def column(self) -> Column:
        return Column(ColumnKind.TEXT, "")

    @property
    def is_multiple(self) -> bool:
        """True when the value is a list (multi select, multi relation, multi file)."""
        return False

    def to_db(self, value: Any) -> Any:
        return value

    def from_db(self, value: Any) -> Any:
        return value

    # ---- values ---------------------------------------------------------------------

    def zero(self) -> Any:
        """The value of a new record that did not set this field."""
        return ""

    def normalize(self, raw: Any) -> Any:
        """Client input to canonical value; raise ValueError with a message when impossible."""
        return raw

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        return None

    def apply_modifier(self, current: Any, modifier: str, raw: Any) -> Any:
        """``+`` for ``field+`` (append / add), ``^`` for ``+field`` (prepend), ``-`` for
        ``field-`` (remove / subtract). A field without modifiers keeps its value: PocketBase
        ignores such keys."""
        return current

    def on_save(self, value: Any, ctx: FieldContext) -> Any:
        """Last chance to set a value before it is stored (autodate, password hashing)."""
        return value
