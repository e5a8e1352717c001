"""Password policy: what a plain password must not be, checked before any hashing.

Backroom never truncates a password; a password is at most ``MAX_PASSWORD_CHARS`` characters
(or its field's ``max``), and one of the 10,000 most common passwords (compared ignoring case)
is refused. The list is data bundled with Backroom; see ``data/NOTICE.txt``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from backroom.errors import ErrorDetail

__all__ = ["COMMON_PASSWORD", "MAX_PASSWORD_CHARS", "common_passwords", "is_common"]

# The longest password any password field accepts: far above what people and password
# managers use (ASVS asks for at least 64), low enough to refuse a huge body before hashing.
MAX_PASSWORD_CHARS = 1024

COMMON_PASSWORD = ErrorDetail(
    "validation_password_too_common",
    "The password is one of the most common passwords; choose another.",
)


@cache
def common_passwords() -> frozenset[str]:
    text = files("backroom.core.auth").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line)


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()
