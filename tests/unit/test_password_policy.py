"""Password policy: the common-password list and the length bound, checked before hashing."""

from __future__ import annotations

import pytest

from backroom.core.auth.passwords import MAX_PASSWORD_CHARS, common_passwords, is_common
from backroom.core.fields.base import FieldContext
from backroom.core.fields.password import PasswordField

CTX = FieldContext(is_new=True)


def test_the_bundled_list_holds_the_10000_most_common_passwords() -> None:
    words = common_passwords()
    assert len(words) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= words


@pytest.mark.parametrize("password", ["password", "PassWord", "12345678", "Iloveyou", "baseball"])
def test_common_passwords_are_refused_ignoring_case(password: str) -> None:
    assert is_common(password)
    err = PasswordField(name="password", min=8).validate(password, CTX)
    assert err is not None
    assert err.code == "validation_password_too_common"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "s3cret-pw-1", "🔑🔑🔑🔑 emoji pass", "ü" * 64, "x" * 100],
)
def test_uncommon_passwords_pass(password: str) -> None:
    assert PasswordField(name="password", min=8).validate(password, CTX) is None


def test_the_length_bound_is_in_characters_not_bytes() -> None:
    field = PasswordField(name="password")
    assert field.validate("é" * MAX_PASSWORD_CHARS, CTX) is None
    err = field.validate("é" * (MAX_PASSWORD_CHARS + 1), CTX)
    assert err is not None
    assert err.code == "validation_max_text_constraint"


def test_a_max_above_the_bound_is_refused_in_the_definition() -> None:
    errors = PasswordField(name="p", max=MAX_PASSWORD_CHARS + 1).validate_definition()
    assert errors["max"].code == "validation_max_less_equal_than_required"
    assert PasswordField(name="p", max=200).validate_definition() == {}
