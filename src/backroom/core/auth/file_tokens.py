"""Short-lived file tokens: they let their owner fetch protected files by URL (``?token=``).

Signed like the other tokens with the record's tokenKey plus the collection's own
``fileToken`` secret, so they die with the record's other tokens."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.tokens import read_claims_unverified, sign_hs256, verify_token
from backroom.core.collections.model import Collection

__all__ = ["FILE_TOKEN", "issue_file_token", "read_file_claims", "verify_file_token"]

FILE_TOKEN = "file"
_DEFAULT_DURATION = 180


def _config(c: Collection) -> tuple[str, int]:
    option = c.options.get("fileToken")
    option = option if isinstance(option, Mapping) else {}
    return str(option.get("secret", "")), int(option.get("duration") or _DEFAULT_DURATION)


def issue_file_token(c: Collection, record: Mapping[str, Any]) -> str:
    secret, duration = _config(c)
    claims = {
        "collectionId": c.id,
        "exp": int(time.time()) + duration,
        "id": str(record["id"]),
        "type": FILE_TOKEN,
    }
    return sign_hs256(claims, (str(record.get("tokenKey", "")) + secret).encode())


def read_file_claims(token: str) -> Mapping[str, Any] | None:
    """The claims of a token that says it is a file token; nothing is verified yet."""
    claims = read_claims_unverified(token)
    if claims is None or claims.get("type") != FILE_TOKEN:
        return None
    return claims


def verify_file_token(
    token: str, c: Collection, record: Mapping[str, Any], claims: Mapping[str, Any]
) -> bool:
    secret, _ = _config(c)
    return verify_token(
        token,
        token_key=str(record.get("tokenKey", "")),
        secret=secret,
        token_type=FILE_TOKEN,
        claims=claims,
    )
