"""Row A4 on the token itself: only the plain HS256 header, a current validity window and the
right type verify; an absolute session lifetime caps and stops refreshes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from backroom.core.auth.sessions import SessionPolicy
from backroom.core.auth.tokens import issue_token, read_claims_unverified, verify_token
from backroom.errors import UnauthorizedError

KEY, SECRET = "token-key-of-the-record-0123456789", "collection-secret-0123456789"
NOW = int(time.time())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signed(header: dict[str, object], **over: object) -> str:
    """A token correctly signed with the record's real key, with any header and claims."""
    claims: dict[str, object] = {"id": "u1", "collectionId": "c1", "type": "auth"}
    claims["exp"] = NOW + 600
    claims.update(over)
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = hmac.digest((KEY + SECRET).encode(), head.encode(), hashlib.sha256)
    return head + "." + _b64(sig)


PLAIN = {"alg": "HS256", "typ": "JWT"}


def _verifies(token: str, token_type: str = "auth") -> bool:
    return verify_token(token, token_key=KEY, secret=SECRET, token_type=token_type)


def test_a_correctly_signed_plain_token_verifies() -> None:
    assert _verifies(_signed(PLAIN))
    assert _verifies(_signed({"alg": "HS256"}))


@pytest.mark.parametrize(
    "header",
    [
        {**PLAIN, "kid": "../../dev/null"},
        {**PLAIN, "jku": "https://attacker.example/jwks.json"},
        {**PLAIN, "x5u": "https://attacker.example/cert.pem"},
        {**PLAIN, "jwk": {"kty": "oct", "k": "AAAA"}},
        {**PLAIN, "crit": ["exp"]},
        {"alg": "none", "typ": "JWT"},
        {"alg": "hs256", "typ": "JWT"},
        {"alg": "HS512", "typ": "JWT"},
        {"alg": "RS256", "typ": "JWT"},
        {"typ": "JWT"},
    ],
    ids=["kid", "jku", "x5u", "jwk", "crit", "none", "lowercase", "HS512", "RS256", "no alg"],
)
def test_a_header_naming_another_key_or_algorithm_is_refused(header: dict[str, object]) -> None:
    token = _signed(header)
    assert read_claims_unverified(token) is None
    assert not _verifies(token)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": NOW - 1},
        {"nbf": NOW + 600},
        {"nbf": "now"},
        {"exp": True},
        {"type": "file"},
        {"type": "verification"},
        {"type": "passwordReset"},
        {"type": "emailChange"},
        {"id": None},
    ],
    ids=[
        "expired",
        "not yet valid",
        "a text nbf",
        "a bool exp",
        "file",
        "verification",
        "password reset",
        "email change",
        "no id",
    ],
)
def test_claims_outside_the_window_or_of_another_type_are_refused(
    claims: dict[str, object],
) -> None:
    assert not _verifies(_signed(PLAIN, **claims))


def test_a_past_nbf_is_fine() -> None:
    assert _verifies(_signed(PLAIN, nbf=NOW - 10))


def test_a_token_signed_with_a_guessed_key_is_refused() -> None:
    head, body, _ = _signed(PLAIN).split(".")
    guessed = hmac.digest(b"secret", f"{head}.{body}".encode(), hashlib.sha256)
    assert not _verifies(f"{head}.{body}.{_b64(guessed)}")


def test_the_session_start_is_carried_and_caps_the_expiry() -> None:
    token = issue_token(
        record_id="u1",
        collection_id="c1",
        token_key=KEY,
        secret=SECRET,
        duration=3600,
        auth_time=NOW - 100,
        expires_by=NOW + 60,
        refreshable=False,
    )
    claims = read_claims_unverified(token)
    assert claims is not None
    assert claims["auth_time"] == NOW - 100
    assert claims["exp"] == NOW + 60
    assert claims["refreshable"] is False


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_without_a_lifetime_sessions_never_end() -> None:
    policy = SessionPolicy(0, _Clock(10**9))
    assert policy.ends(policy.began(None)) is None
    assert policy.check_refresh(0) == 0


def test_an_absolute_lifetime_ends_refreshes_after_it() -> None:
    clock = _Clock(1_000_000)
    policy = SessionPolicy(3600, clock)
    began = policy.began(None)
    assert began == 1_000_000
    assert policy.ends(began) == 1_003_600
    clock.now = 1_003_599
    assert policy.check_refresh(began) == began
    clock.now = 1_003_600
    with pytest.raises(UnauthorizedError):
        policy.check_refresh(began)


def test_a_token_from_before_the_setting_starts_its_session_at_refresh() -> None:
    policy = SessionPolicy(3600, _Clock(5_000))
    assert policy.check_refresh(None) is None
    assert policy.check_refresh(True) is None
    assert policy.began(policy.check_refresh(None)) == 5_000
