"""The ``mfa`` option of auth collections: set key by key, checked as PocketBase checks it."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.core.auth.mfa_options import apply_mfa_input, mfa_option_error, mfa_options
from backroom.core.collections.system import users_collection
from backroom.errors import BadRequestError


def _users(**options: Any) -> Any:
    c = users_collection("2026-01-01 00:00:00.000Z")
    c.options.update(options)
    return c


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, {"enabled": False, "duration": 600, "rule": ""}),
        ({"enabled": True}, {"enabled": True, "duration": 600, "rule": ""}),
        ({"duration": None, "rule": "x = 1"}, {"enabled": False, "duration": 0, "rule": "x = 1"}),
        (None, {"enabled": False, "duration": 0, "rule": ""}),
        ({"enabled": True, "other": 1}, {"enabled": True, "duration": 600, "rule": ""}),
    ],
)
def test_values_are_set_key_by_key(value: Any, expected: dict[str, Any]) -> None:
    c = _users()
    apply_mfa_input(c, value)
    assert c.options["mfa"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "on",
        [],
        {"enabled": 1},
        {"duration": "600"},
        {"duration": 6.5},
        {"duration": True},
        {"rule": 5},
    ],
)
def test_values_of_the_wrong_type_are_refused(value: Any) -> None:
    c = _users()
    with pytest.raises(BadRequestError, match="invalid formatting"):
        apply_mfa_input(c, value)
    assert c.options["mfa"] == {"enabled": False, "duration": 600, "rule": ""}


@pytest.mark.parametrize(
    ("mfa", "otp", "error"),
    [
        ({"enabled": False, "duration": -5}, False, None),
        ({"enabled": True, "duration": 0}, True, ("duration", "validation_required")),
        (
            {"enabled": True, "duration": 9},
            True,
            ("duration", "validation_min_greater_equal_than_required"),
        ),
        ({"enabled": True, "duration": 10}, True, None),
        ({"enabled": True, "duration": 86400}, True, None),
        (
            {"enabled": True, "duration": 86401},
            True,
            ("duration", "validation_max_less_equal_than_required"),
        ),
        ({"enabled": True, "duration": 600}, False, ("enabled", "validation_mfa_not_enough_auths")),
    ],
)
def test_an_enabled_option_is_checked(
    mfa: dict[str, Any], otp: bool, error: tuple[str, str] | None
) -> None:
    c = _users(mfa={"rule": "", **mfa}, otp={"enabled": otp})
    found = mfa_option_error(c)
    assert [(k, v.code) for k, v in found.items()] == ([error] if error else [])


def test_a_stored_zero_duration_means_the_default_lifetime() -> None:
    assert mfa_options(_users(mfa={"enabled": False, "duration": 0, "rule": ""})).lifetime == 600
