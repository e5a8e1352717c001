"""Auth records: password hashing, confirmation and the token key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext
from backroom.core.fields.base import FieldContext
from backroom.core.ids import random_string
from backroom.core.ports import Hasher
from backroom.errors import ErrorDetail

__all__ = ["hash_password_fields", "new_token_key", "prepare_auth_record"]

_TOKEN_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_MISMATCH = ErrorDetail("validation_values_mismatch", "Values don't match.")


def new_token_key() -> str:
    return random_string(50, _TOKEN_KEY_ALPHABET)


def _password_error(f: Any, value: Any, fctx: FieldContext) -> ErrorDetail | None:
    """What is wrong with a plain password sent for field ``f`` (None when nothing is)."""
    if not isinstance(value, str):
        return ErrorDetail("validation_invalid_value", "Invalid value.")
    return None if f is None else f.validate(value, fctx)


async def prepare_auth_record(
    c: Collection,
    record: dict[str, Any],
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    ctx: RequestContext,
    hasher: Hasher,
    manager: bool = False,
) -> dict[str, ErrorDetail]:
    """Hash a new password, check its confirmation, rotate the token key when needed.

    Only a ``manager`` (a superuser, or a caller the manageRule lets in) may mark a record
    verified, change its email directly or set a password without the old one."""
    errors: dict[str, ErrorDetail] = {}
    if not manager:
        was_verified = bool(old.get("verified")) if old is not None else False
        if bool(record.get("verified")) != was_verified:
            errors["verified"] = _MISMATCH
        if old is not None and record.get("email") != old.get("email"):
            errors["email"] = _MISMATCH
    password_field = c.field("password")
    password = body.get("password")
    if old is None and not record.get("tokenKey"):
        record["tokenKey"] = new_token_key()
    if c.system and c.name == "_superusers":
        record["verified"] = True
    if old is not None and record.get("email") != old.get("email"):
        record["tokenKey"] = new_token_key()
    if password is None or password == "":
        if old is None and password_field is not None:
            errors["password"] = _REQUIRED
        elif old is not None and body.get("oldPassword") not in (None, ""):
            # PocketBase: an oldPassword alone asks for the new password and its confirmation
            errors["password"] = errors["passwordConfirm"] = _REQUIRED
        return errors
    fctx = FieldContext(is_new=old is None, is_superuser=ctx.is_superuser)
    err = _password_error(password_field, password, fctx)
    if err is not None:
        errors["password"] = err
    if not isinstance(password, str):
        return errors
    if body.get("passwordConfirm") != password:
        errors["passwordConfirm"] = _MISMATCH
    if old is not None and not manager:
        old_password = body.get("oldPassword")
        if not isinstance(old_password, str) or not old_password:
            errors["oldPassword"] = _REQUIRED
        elif not await hasher.verify(old_password, str(old.get("password", ""))):
            errors["oldPassword"] = ErrorDetail(
                "validation_invalid_old_password", "Missing or invalid old password."
            )
    if errors:
        return errors
    record["password"] = await hasher.hash(password)
    if old is not None:
        record["tokenKey"] = new_token_key()
    return errors


async def hash_password_fields(
    c: Collection,
    record: dict[str, Any],
    body: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    hasher: Hasher,
) -> dict[str, ErrorDetail]:
    """Validate and hash every password field the body sets, but an auth collection's own
    ``password`` (``prepare_auth_record`` handles that one, with its confirmation)."""
    errors: dict[str, ErrorDetail] = {}
    fctx = FieldContext(is_new=old is None)
    for f in c.fields:
        if f.type != "password" or (c.is_auth and f.name == "password"):
            continue
        value = body.get(f.name)
        if value is None or value == "":
            if getattr(f, "required", False) and not (old or {}).get(f.name):
                errors[f.name] = _REQUIRED
            continue
        err = _password_error(f, value, fctx)
        if err is not None:
            errors[f.name] = err
            continue
        record[f.name] = await hasher.hash(value)
    return errors
