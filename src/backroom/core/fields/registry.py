"""Every field type by its name, and fields from collection JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.fields.autodate import AutodateField
from backroom.core.fields.base import Field
from backroom.core.fields.bool import BoolField
from backroom.core.fields.date import DateField
from backroom.core.fields.editor import EditorField
from backroom.core.fields.email import EmailField
from backroom.core.fields.file import FileField
from backroom.core.fields.geopoint import GeoPointField
from backroom.core.fields.json import JSONField
from backroom.core.fields.number import NumberField
from backroom.core.fields.password import PasswordField
from backroom.core.fields.relation import RelationField
from backroom.core.fields.select import SelectField
from backroom.core.fields.text import TextField
from backroom.core.fields.url import URLField
from backroom.errors import BadRequestError

__all__ = ["FIELD_TYPES", "field_from_json"]

FIELD_TYPES: dict[str, type[Field]] = {
    cls.type: cls
    for cls in (
        TextField,
        EditorField,
        NumberField,
        BoolField,
        EmailField,
        URLField,
        DateField,
        AutodateField,
        SelectField,
        JSONField,
        RelationField,
        FileField,
        PasswordField,
        GeoPointField,
    )
}

_INVALID = "Failed to load the submitted data due to invalid formatting."


def field_from_json(data: Mapping[str, Any]) -> Field:
    """A field from its JSON; an unknown type or a mistyped option is a 400, as in PocketBase."""
    cls = FIELD_TYPES.get(str(data.get("type", "")))
    if cls is None:
        raise BadRequestError(_INVALID)
    for key in ("id", "name"):
        if key in data and not isinstance(data[key], str):
            raise BadRequestError(_INVALID)
    try:
        return cls.from_json(data)
    except (TypeError, ValueError):
        raise BadRequestError(_INVALID) from None
