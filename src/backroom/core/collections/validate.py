"""Checks on a collection definition before it is saved."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from backroom.core.auth.mfa_options import mfa_option_error, mfa_options
from backroom.core.auth.oauth2_options import oauth2_option_errors
from backroom.core.auth.option_checks import auth_option_errors
from backroom.core.collections.indexes import parse_index
from backroom.core.collections.model import Collection, Schema
from backroom.core.fields.base import Field
from backroom.errors import ErrorDetail

__all__ = ["RuleChecker", "validate_collection"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
_RESERVED_TABLE_NAMES = frozenset({"_collections", "_params", "_migrations"})
_RESERVED_FIELD_NAMES = frozenset({"expand", "collectionId", "collectionName"})
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_BAD_FORMAT = ErrorDetail("validation_match_invalid", "Must be in a valid format.")

RuleChecker = Callable[[Collection, Schema, str], str | None]
"""Compiles a rule for a collection; returns an error message or None."""


def _name_errors(c: Collection, schema: Schema, old: Collection | None) -> ErrorDetail | None:
    if not c.name:
        return _REQUIRED
    if len(c.name) > 255:
        return ErrorDetail("validation_length_too_long", "The length must be no more than 255.")
    if not _NAME_RE.match(c.name):
        return _BAD_FORMAT
    if c.name.lower().startswith("sqlite_") or c.name.lower() in _RESERVED_TABLE_NAMES:
        return ErrorDetail("validation_not_in_invalid", "Must not be in list.")
    existing = schema.get(c.name)
    if existing is not None and existing.id != c.id:
        return ErrorDetail(
            "validation_collection_name_exists",
            "Collection name must be unique (case insensitive).",
        )
    if old is not None and old.system and old.name != c.name:
        return ErrorDetail(
            "validation_collection_system_name_change", "System collection name cannot be changed."
        )
    return None


def _system_field_changed(old: Collection, new: Collection) -> bool:
    """Whether a system field, or any field of a system collection, was deleted or renamed."""
    for f in old.fields:
        if not (f.system or old.system):
            continue
        names = {n.name for n in new.fields if n.id == f.id}
        if names != {f.name}:
            return True
    return False


def _rule_errors(old: Collection, new: Collection) -> dict[str, object]:
    """A system collection's API rules are fixed."""
    if not old.system:
        return {}
    return {
        name: ErrorDetail(
            "validation_collection_system_rule_change",
            "System collection API rule cannot be changed.",
        )
        for name, rule in new.rules.items()
        if old.rules.get(name) != rule
    }


def _primary_key_errors(f: Field, composite: bool) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    if composite:
        errors["primaryKey"] = ErrorDetail(
            "validation_unsupported_composite_pk",
            "Composite PKs are not supported and the collection must have only 1 PK.",
        )
    if f.name != "id":
        errors["name"] = ErrorDetail("validation_in_invalid", 'The primary key must be named "id".')
    if not getattr(f, "pattern", ""):
        errors["pattern"] = _REQUIRED
    if not getattr(f, "required", False):
        errors["required"] = _REQUIRED
    return errors


def _field_errors(c: Collection, schema: Schema, old: Collection | None) -> dict[str, object]:
    errors: dict[str, object] = {}
    seen: set[str] = set()
    primary_keys = sum(1 for f in c.fields if getattr(f, "primaryKey", False))
    for i, f in enumerate(c.fields):
        err: dict[str, Any] = dict(f.validate_definition())
        lname = f.name.lower()
        if not f.name:
            err["name"] = _REQUIRED
        elif len(f.name) > 255 or not _NAME_RE.match(f.name):
            err["name"] = _BAD_FORMAT
        elif f.name in _RESERVED_FIELD_NAMES:
            err["name"] = ErrorDetail("validation_not_in_invalid", "Must not be in list.")
        elif lname in seen:
            err["name"] = ErrorDetail(
                "validation_duplicated_field_name",
                f"Duplicated or invalid field name {f.name}.",
                {"fieldName": f.name},
            )
        seen.add(lname)
        if getattr(f, "primaryKey", False):
            err.update(_primary_key_errors(f, composite=primary_keys > 1))
        if f.type == "relation":
            target = schema.get(str(getattr(f, "collectionId", "")))
            if target is None and getattr(f, "collectionId", "") != c.id:
                err["collectionId"] = ErrorDetail(
                    "validation_field_relation_missing_collection",
                    "The relation collection doesn't exist.",
                )
        if old is not None:
            prev = old.field_by_id(f.id)
            if prev is not None and prev.type != f.type:
                err["type"] = ErrorDetail(
                    "validation_field_type_change", "Field type cannot be changed."
                )
        if err:
            errors[str(i)] = err
    if old is not None and _system_field_changed(old, c):
        return {
            "fields": errors
            or ErrorDetail(
                "validation_system_field_change", "System fields cannot be deleted or renamed."
            )
        }
    if "id" not in {f.name for f in c.fields}:
        return {"fields": errors or ErrorDetail("validation_missing_id_field", "Missing id field.")}
    return {"fields": errors} if errors else {}


def _index_errors(c: Collection) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    names = {f.name.lower() for f in c.fields}
    seen: set[str] = set()
    for i, raw in enumerate(c.indexes):
        idx = parse_index(raw)
        if idx is None:
            errors[str(i)] = ErrorDetail(
                "validation_invalid_index_expression", "Invalid CREATE INDEX expression."
            )
        elif any(col.name.lower() not in names for col in idx.columns) or (
            idx.where_not_empty and idx.where_not_empty.lower() not in names
        ):
            errors[str(i)] = ErrorDetail(
                "validation_invalid_index_column", "One or more index columns don't exist."
            )
        elif idx.name.lower() in seen:
            errors[str(i)] = ErrorDetail(
                "validation_duplicated_index_name", "The index name must be unique."
            )
        elif idx is not None:
            seen.add(idx.name.lower())
    return errors


def validate_collection(
    c: Collection, schema: Schema, old: Collection | None, check_rule: RuleChecker
) -> dict[str, object]:
    """Every problem with ``c``, keyed as PocketBase keys them; empty when valid."""
    errors: dict[str, object] = {}
    name_err = _name_errors(c, schema, old)
    if name_err is not None:
        errors["name"] = name_err
    if c.type not in {"base", "auth"}:
        errors["type"] = ErrorDetail("validation_in_invalid", "Must be a valid value.")
    elif old is not None and old.type != c.type:
        errors["type"] = ErrorDetail(
            "validation_collection_type_change", "Collection type cannot be changed."
        )
    errors.update(_field_errors(c, schema, old))
    if old is not None:
        errors.update(_rule_errors(old, c))
    if c.is_auth:
        errors.update(auth_option_errors(c, old))
        errors.update(oauth2_option_errors(c))
        mfa_error = mfa_option_error(c)
        if mfa_error:
            errors["mfa"] = mfa_error
    idx_errors = _index_errors(c)
    if idx_errors:
        errors["indexes"] = idx_errors
    if not errors.get("fields"):
        for rule_name, rule in c.rules.items():
            if rule and rule_name not in errors:
                message = check_rule(c, schema, rule)
                if message is not None:
                    errors[rule_name] = _invalid_rule(message)
        mfa = mfa_options(c) if c.is_auth else None
        if mfa is not None and mfa.enabled and mfa.rule and "mfa" not in errors:
            message = check_rule(c, schema, mfa.rule)
            if message is not None:
                errors["mfa"] = {"rule": _invalid_rule(message)}
    return errors


def _invalid_rule(message: str) -> ErrorDetail:
    return ErrorDetail("validation_invalid_rule", f"Invalid rule. Raw error: {message}")
