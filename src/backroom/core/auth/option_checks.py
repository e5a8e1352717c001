"""An auth collection's token, ``otp`` and ``passwordAuth`` options: typed input and the checks
PocketBase makes.

A client sets these options key by key: a key it leaves out keeps its value, ``null`` means
the zero value, and a value of the wrong JSON type (a duration of ``"10"`` or ``1.5``) is
refused as unreadable. Then, as in PocketBase: token lifetimes between 10 seconds and three
years with secrets of 30 to 255 characters; an enabled OTP lasting 10 seconds to a day with
codes of at least 4 digits; an enabled password sign-in naming existing fields that each have
a UNIQUE index of their own, so that an identity finds one account at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.indexes import has_unique_index
from backroom.core.collections.model import Collection
from backroom.errors import BadRequestError, ErrorDetail

__all__ = ["CHECKED_OPTIONS", "TOKEN_OPTIONS", "apply_checked_option", "auth_option_errors"]

TOKEN_OPTIONS = (
    "authToken",
    "passwordResetToken",
    "emailChangeToken",
    "verificationToken",
    "fileToken",
)
_TOKEN_ZERO: dict[str, Any] = {"duration": 0, "secret": ""}
_ZEROS: dict[str, dict[str, Any]] = {
    **{key: _TOKEN_ZERO for key in TOKEN_OPTIONS},
    "otp": {"enabled": False, "duration": 0, "length": 0},
    "passwordAuth": {"enabled": False, "identityFields": []},
}
CHECKED_OPTIONS = frozenset(_ZEROS)

_MIN_DURATION = 10
_MAX_TOKEN_DURATION = 94_670_856  # three years, PocketBase's bound
_MAX_OTP_DURATION = 86_400
_MIN_OTP_LENGTH = 4
_SECRET_LENGTH = (30, 255)
_FORMAT = "Failed to load the submitted data due to invalid formatting."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")


def _of_type(zero: Any, value: Any) -> bool:
    if isinstance(zero, bool):
        return isinstance(value, bool)
    if isinstance(zero, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(zero, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def apply_checked_option(c: Collection, key: str, value: Any) -> None:
    """Set option ``key`` of ``c`` from a client's JSON value; keys it leaves out keep their
    value (or, on a new collection, get the defaults)."""
    zeros = _ZEROS[key]
    if value is None:
        c.options[key] = {name: list(z) if isinstance(z, list) else z for name, z in zeros.items()}
        return
    if not isinstance(value, Mapping):
        raise BadRequestError(_FORMAT)
    stored = c.options.get(key)
    out = dict(stored) if isinstance(stored, Mapping) else {}
    for name, zero in zeros.items():
        if name not in value:
            continue
        item = value[name]
        if item is None:
            item = zero
        elif not _of_type(zero, item):
            raise BadRequestError(_FORMAT)
        out[name] = list(item) if isinstance(item, list) else item
    for name, item in value.items():  # what PocketBase would ignore is kept as given
        out.setdefault(name, item)
    c.options[key] = out


def _bounds(value: int, low: int, high: int | None) -> ErrorDetail | None:
    if value == 0:
        return _REQUIRED
    if value < low:
        return ErrorDetail(
            "validation_min_greater_equal_than_required",
            f"Must be no less than {low}.",
            {"threshold": low},
        )
    if high is not None and value > high:
        return ErrorDetail(
            "validation_max_less_equal_than_required",
            f"Must be no greater than {high}.",
            {"threshold": high},
        )
    return None


def _option(c: Collection | None, key: str) -> Mapping[str, Any]:
    value = c.options.get(key) if c is not None else None
    return value if isinstance(value, Mapping) else {}


def _int(option: Mapping[str, Any], name: str) -> int:
    value = option.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _token_errors(option: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    duration = _bounds(_int(option, "duration"), _MIN_DURATION, _MAX_TOKEN_DURATION)
    if duration is not None:
        errors["duration"] = duration
    secret = str(option.get("secret") or "")
    if old.get("secret") != secret:  # an unchanged secret was judged when it was set
        low, high = _SECRET_LENGTH
        if not secret:
            errors["secret"] = _REQUIRED
        elif not low <= len(secret) <= high:
            errors["secret"] = ErrorDetail(
                "validation_length_out_of_range",
                f"The length must be between {low} and {high}.",
                {"max": high, "min": low},
            )
    return errors


def _otp_errors(option: Mapping[str, Any]) -> dict[str, ErrorDetail]:
    if option.get("enabled") is not True:
        return {}
    errors: dict[str, ErrorDetail] = {}
    duration = _bounds(_int(option, "duration"), _MIN_DURATION, _MAX_OTP_DURATION)
    if duration is not None:
        errors["duration"] = duration
    length = _bounds(_int(option, "length"), _MIN_OTP_LENGTH, None)
    if length is not None:
        errors["length"] = length
    return errors


def _identity_errors(c: Collection) -> dict[str, ErrorDetail]:
    option = _option(c, "passwordAuth")
    if option.get("enabled") is not True:
        return {}
    names = option.get("identityFields")
    if not isinstance(names, list) or not names:
        return {"identityFields": _REQUIRED}
    for name in names:
        if c.field(str(name)) is None:
            return {
                "identityFields": ErrorDetail(
                    "validation_missing_field",
                    f"Invalid or missing field {name}.",
                    {"fieldName": name},
                )
            }
        if not has_unique_index(c.indexes, str(name)):
            return {
                "identityFields": ErrorDetail(
                    "validation_missing_unique_constraint",
                    f"The field {name} doesn't have a UNIQUE constraint.",
                    {"fieldName": name},
                )
            }
    return {}


def auth_option_errors(c: Collection, old: Collection | None) -> dict[str, object]:
    """What is wrong with ``c``'s token, OTP and password sign-in options, keyed by option."""
    errors: dict[str, object] = {}
    for key in TOKEN_OPTIONS:
        token = _token_errors(_option(c, key), _option(old, key))
        if token:
            errors[key] = token
    otp = _otp_errors(_option(c, "otp"))
    if otp:
        errors["otp"] = otp
    identity = _identity_errors(c)
    if identity:
        errors["passwordAuth"] = identity
    return errors
