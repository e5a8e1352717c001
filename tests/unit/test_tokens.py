"""Auth tokens: only an unexpired HS256 token signed with the record's key verifies."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from backroom.core.auth.tokens import issue_token, read_claims_unverified, verify_token

KEY, SECRET = "token-key-of-the-record-0123456789", "collection-secret-0123456789"


def _token(**over: object) -> str:
    claims = {"id": "u1", "collectionId": "c1", "type": "auth", "exp": int(time.time()) + 60}
    claims.update(over)
    return jwt.encode(claims, KEY + SECRET, algorithm="HS256")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_an_issued_token_verifies() -> None:
    token = issue_token(
        record_id="u1", collection_id="c1", token_key=KEY, secret=SECRET, duration=60
    )
    assert verify_token(token, token_key=KEY, secret=SECRET, token_type="auth")
    assert read_claims_unverified(token) is not None


BAD_TOKENS = [
    (_token(exp=int(time.time()) - 1), "expired"),
    (_token(type="file"), "another token type"),
    (_token(id=5), "a non-text id"),
    (_token(exp="never"), "a non-numeric expiry"),
    (
        jwt.encode(
            {"id": "u1", "type": "auth", "exp": 2**40},
            "another-key-of-another-record-0123456789",
            "HS256",
        ),
        "wrong key",
    ),
    (jwt.encode({"id": "u1", "type": "auth", "exp": 2**40}, (KEY + SECRET) * 2, "HS512"), "HS512"),
    (
        _b64({"alg": "none"}) + "." + _b64({"id": "u1", "type": "auth", "exp": 2**40}) + ".",
        "none",
    ),
    ("not.a.token", "garbage"),
    ("a.b", "two segments"),
    ("", "empty"),
]


@pytest.mark.parametrize(("token", "why"), BAD_TOKENS, ids=[why for _, why in BAD_TOKENS])
def test_a_bad_token_does_not_verify(token: str, why: str) -> None:
    assert not verify_token(token, token_key=KEY, secret=SECRET, token_type="auth"), why


def test_a_tampered_payload_does_not_verify() -> None:
    header, _, signature = _token().split(".")
    forged = _b64({"id": "admin", "collectionId": "c1", "type": "auth", "exp": 2**40})
    token = f"{header}.{forged}.{signature}"
    assert not verify_token(token, token_key=KEY, secret=SECRET, token_type="auth")


def test_issued_tokens_verify_with_an_independent_jwt_library() -> None:
    token = issue_token(
        record_id="r1", collection_id="c1", token_key="k" * 16, secret="s" * 16, duration=60
    )
    claims = jwt.decode(token, "k" * 16 + "s" * 16, algorithms=["HS256"])
    assert claims["id"] == "r1"
    assert claims["type"] == "auth"
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
