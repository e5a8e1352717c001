"""Auth tokens: HS256 JWTs signed with the record's tokenKey plus the collection's secret.

A password or email change rotates the tokenKey, so every earlier token stops verifying.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from typing import Any, TypeGuard

import orjson

__all__ = [
    "TOKEN_TYPE_AUTH",
    "issue_token",
    "read_claims_unverified",
    "sign_hs256",
    "verify_token",
]

TOKEN_TYPE_AUTH = "auth"
_ALGORITHM = "HS256"
_MAX_TOKEN_LENGTH = 4096
_HEADER_KEYS = frozenset({"alg", "typ"})


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
    auth_time: int | None = None,
    expires_by: int | None = None,
) -> str:
    """A signed token. ``auth_time`` (the OIDC claim name) is when the session began, with
    the password or another method, carried unchanged by every refresh; ``expires_by`` caps
    ``exp`` (an absolute session lifetime)."""
    exp = int(time.time()) + duration
    claims: dict[str, Any] = {
        "id": record_id,
        "collectionId": collection_id,
        "type": token_type,
        "exp": exp if expires_by is None else min(exp, expires_by),
    }
    if token_type == TOKEN_TYPE_AUTH:
        claims["refreshable"] = refreshable
    if auth_time is not None:
        claims["auth_time"] = auth_time
    return sign_hs256(claims, _key(token_key, secret))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_HEADER = _b64encode(orjson.dumps({"alg": _ALGORITHM, "typ": "JWT"}))


def sign_hs256(claims: Mapping[str, Any], key: bytes) -> str:
    """A compact HS256 JWT of ``claims``. Written out rather than through a JWT library:
    every sign-in and refresh issues one, and the library's key checks cost a third of a
    refresh."""
    signing_input = f"{_HEADER}.{_b64encode(orjson.dumps(claims))}"
    signature = hmac.digest(key, signing_input.encode("ascii"), "sha256")
    return f"{signing_input}.{_b64encode(signature)}"


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def read_claims_unverified(token: str) -> Mapping[str, Any] | None:
    """The claims, to find which record to verify against; trust nothing in them yet.

    Parsed by hand rather than by a JWT library: this runs on every authenticated request,
    and only the compact HS256 form is accepted (any other ``alg`` is refused)."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > _MAX_TOKEN_LENGTH:
        return None
    try:
        header = orjson.loads(_b64decode(parts[0]))
        claims = orjson.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or header.get("alg") != _ALGORITHM:
        return None
    if not header.keys() <= _HEADER_KEYS:
        return None  # kid, jku, x5u, jwk...: keys are never chosen by the token
    return claims if isinstance(claims, dict) else None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def verify_token(
    token: str,
    *,
    token_key: str,
    secret: str,
    token_type: str,
    claims: Mapping[str, Any] | None = None,
) -> bool:
    """Whether ``token`` carries a valid signature by this key, is unexpired and of this type.
    ``claims`` are the token's, already read by ``read_claims_unverified``."""
    if claims is None:
        claims = read_claims_unverified(token)
    if claims is None:
        return False
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.digest(_key(token_key, secret), signing_input.encode(), "sha256")
    try:
        given = _b64decode(signature)
    except (ValueError, binascii.Error):
        return False
    if not hmac.compare_digest(expected, given):
        return False
    now = time.time()
    exp = claims.get("exp")
    if not _is_number(exp) or exp <= now:
        return False
    nbf = claims.get("nbf", 0)
    if not _is_number(nbf) or nbf > now:
        return False
    if not isinstance(claims.get("id"), str):
        return False
    return bool(claims.get("type") == token_type)
