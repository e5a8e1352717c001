"""Auth tokens: HS256 JWTs signed with the record's tokenKey plus the collection's secret.

A password or email change rotates the tokenKey, so every earlier token stops verifying.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

__all__ = ["TOKEN_TYPE_AUTH", "issue_token", "read_claims_unverified", "verify_token"]

TOKEN_TYPE_AUTH = "auth"
_ALGORITHM = "HS256"


def _key(token_key: str, secret: str) -> bytes:
    return (token_key + secret).encode()


def issue_token(
    *,
    record_id: str,
    collection_id: str,
    token_key: str,
    secret: str,
    duration: int,
    token_type: str = TOKEN_TYPE_AUTH,
    refreshable: bool = True,
) -> str:
    claims: dict[str, Any] = {
        "id": record_id,
        "collectionId": collection_id,
        "type": token_type,
        "exp": int(time.time()) + duration,
    }
    if token_type == TOKEN_TYPE_AUTH:
        claims["refreshable"] = refreshable
    return jwt.encode(claims, _key(token_key, secret), algorithm=_ALGORITHM)


def read_claims_unverified(token: str) -> Mapping[str, Any] | None:
    """The claims, to find which record to verify against; trust nothing in them yet."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != _ALGORITHM:
            return None
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims


def verify_token(token: str, *, token_key: str, secret: str, token_type: str) -> bool:
    try:
        claims = jwt.decode(
            token,
            _key(token_key, secret),
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "id", "type"]},
        )
    except jwt.PyJWTError:
        return False
    return bool(claims.get("type") == token_type)
