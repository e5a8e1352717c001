"""Tokens mailed to the owner of an account: verification, password reset, email change.

Each kind is signed with the record's tokenKey plus the collection's own secret for that kind
(options ``verificationToken``, ``passwordResetToken``, ``emailChangeToken``), and carries
the email it was sent to, so a token stops working once the record's email or tokenKey
changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.tokens import read_claims_unverified, sign_hs256, verify_token
from backroom.core.collections.model import Collection

__all__ = [
    "EMAIL_CHANGE",
    "PASSWORD_RESET",
    "VERIFICATION",
    "issue_action_token",
    "read_action_claims",
    "verify_action_token",
]

VERIFICATION = "verification"
PASSWORD_RESET = "passwordReset"
EMAIL_CHANGE = "emailChange"

_OPTIONS = {
    VERIFICATION: ("verificationToken", 86400),
    PASSWORD_RESET: ("passwordResetToken", 1800),
    EMAIL_CHANGE: ("emailChangeToken", 1800),
}


def _config(c: Collection, kind: str) -> tuple[str, int]:
    name, default_duration = _OPTIONS[kind]
    option = c.options.get(name)
    option = option if isinstance(option, Mapping) else {}
    return str(option.get("secret", "")), int(option.get("duration") or default_duration)


def issue_action_token(c: Collection, kind: str, record: Mapping[str, Any], **claims: str) -> str:
    secret, duration = _config(c, kind)
    payload: dict[str, Any] = {
        "id": str(record["id"]),
        "collectionId": c.id,
        "type": kind,
        "email": str(record.get("email", "")),
        **claims,
        "exp": int(time.time()) + duration,
    }
    key = (str(record.get("tokenKey", "")) + secret).encode()
    return sign_hs256(payload, key)


def read_action_claims(token: str, kind: str) -> Mapping[str, Any] | None:
    """The token's claims if it claims to be of ``kind``; nothing is verified yet."""
    claims = read_claims_unverified(token)
    if claims is None or claims.get("type") != kind:
        return None
    return claims


def verify_action_token(
    token: str, c: Collection, kind: str, record: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The claims of a valid, unexpired ``kind`` token for ``record`` as it is now, else None."""
    claims = read_action_claims(token, kind)
    if claims is None or claims.get("id") != record.get("id"):
        return None
    if claims.get("collectionId") != c.id:
        return None
    secret, _ = _config(c, kind)
    ok = verify_token(
        token,
        token_key=str(record.get("tokenKey", "")),
        secret=secret,
        token_type=kind,
        claims=claims,
    )
    return claims if ok else None
