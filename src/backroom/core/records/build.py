"""Turn a request body into a record's new values: normalize, modifiers, validate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field, FieldContext
from backroom.errors import ErrorDetail

__all__ = ["PROTECTED_AUTH_FIELDS", "apply_body", "resolve_modifiers", "validate_record"]

PROTECTED_AUTH_FIELDS = frozenset({"tokenKey"})


def _as_detail(err: ValueError) -> ErrorDetail:
    arg = err.args[0] if err.args else None
    if isinstance(arg, ErrorDetail):
        return arg
    return ErrorDetail("validation_invalid_value", str(arg or "Invalid value."))


def _modifier_of(key: str) -> tuple[str, str] | None:
    if key.endswith("+"):
        return key[:-1], "+"
    if key.startswith("+"):
        return key[1:], "^"
    if key.endswith("-"):
        return key[:-1], "-"
    return None


def apply_body(
    c: Collection, record: dict[str, Any], body: Mapping[str, Any], *, superuser: bool
) -> tuple[set[str], dict[str, ErrorDetail]]:
    """Set the fields ``body`` names on ``record``; return the names changed and any errors.

    Keys that name no field are ignored, as PocketBase does. Plain values apply before
    modifiers, so ``{"tags": [...], "tags+": "x"}`` appends to the new list.
    """
    changed: set[str] = set()
    errors: dict[str, ErrorDetail] = {}
    modifiers: list[tuple[Field, str, Any]] = []
    for key, raw in body.items():
        f = c.field(key)
        if f is None:
            mod = _modifier_of(key)
            target = c.field(mod[0]) if mod else None
            if mod is not None and target is not None:
                modifiers.append((target, mod[1], raw))
            continue
        if f.type == "password" or (
            c.is_auth and f.name in PROTECTED_AUTH_FIELDS and not superuser
        ):
            continue
        try:
            record[f.name] = f.normalize(raw)
        except ValueError as err:
            errors[f.name] = _as_detail(err)
        changed.add(f.name)
    for f, op, raw in modifiers:
        if f.name in errors or f.type == "password" or f.read_only:
            continue
        try:
            record[f.name] = f.apply_modifier(record.get(f.name, f.zero()), op, raw)
        except ValueError as err:
            errors[f.name] = _as_detail(err)
        changed.add(f.name)
    return changed, errors


def resolve_modifiers(
    c: Collection, current: Mapping[str, Any], body: Mapping[str, Any]
) -> dict[str, Any]:
    """The body as rules see it (``@request.body.*``): each ``field+``, ``+field`` and
    ``field-`` key replaced by the field's resulting value, as PocketBase replaces them."""
    out = dict(body)
    for key, raw in body.items():
        mod = None if c.field(key) is not None else _modifier_of(key)
        f = c.field(mod[0]) if mod is not None else None
        if mod is None or f is None:
            continue
        try:
            base = f.normalize(out[f.name]) if f.name in out else current.get(f.name, f.zero())
            out[f.name] = f.apply_modifier(base, mod[1], raw)
        except ValueError:
            continue
        del out[key]
    return out


def validate_record(
    c: Collection, record: dict[str, Any], ctx: FieldContext, skip: set[str] | None = None
) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    for f in c.fields:
        if f.type == "password" or (skip and f.name in skip):
            continue
        err = f.validate(record.get(f.name, f.zero()), ctx)
        if err is not None:
            errors[f.name] = err
    return errors
