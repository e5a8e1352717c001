"""Auth tokens over HTTP, rows A1-A4: a password or email change (by the owner or by a
superuser) and a deletion end every token; forged, expired, early, foreign and non-auth
tokens are refused; an optional absolute session lifetime ends refreshes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backroom.core.auth.tokens import read_claims_unverified
from backroom.testing import TestApp, running_app

USERS = "/api/collections/users/records"
REFRESH = "/api/collections/users/auth-refresh"
PASSWORD = "s3cret-pw-1"


async def _user(app: TestApp, email: str) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    created = await app.client.post(USERS, json=body)
    assert created.status_code == 200, created.text
    return {"id": created.json()["id"], "email": email}


async def _token(app: TestApp, email: str, password: str = PASSWORD) -> str:
    r = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": password},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def _refresh(app: TestApp, token: str, path: str = REFRESH) -> int:
    return (await app.client.post(path, headers={"Authorization": token})).status_code


@pytest.fixture
async def u(app: TestApp) -> dict[str, Any]:
    return await _user(app, "u@example.com")


async def test_a_password_change_ends_every_token(app: TestApp, u: dict[str, Any]) -> None:
    """Row A1."""
    t1, t2 = await _token(app, u["email"]), await _token(app, u["email"])
    change = {
        "password": "n3w-secret-2",
        "passwordConfirm": "n3w-secret-2",
        "oldPassword": PASSWORD,
    }
    r = await app.client.patch(f"{USERS}/{u['id']}", headers={"Authorization": t1}, json=change)
    assert r.status_code == 200, r.text
    assert await _refresh(app, t1) == 401
    assert await _refresh(app, t2) == 401
    assert await _refresh(app, await _token(app, u["email"], "n3w-secret-2")) == 200


@pytest.mark.parametrize(
    "change",
    [
        {"email": "new-address@example.com"},
        {"password": "by-the-admin-3", "passwordConfirm": "by-the-admin-3"},
    ],
    ids=["email", "password"],
)
async def test_a_change_by_a_superuser_ends_every_token(
    app: TestApp, u: dict[str, Any], change: dict[str, str]
) -> None:
    """Row A2."""
    token = await _token(app, u["email"])
    r = await app.client.patch(f"{USERS}/{u['id']}", headers=app.su(), json=change)
    assert r.status_code == 200, r.text
    assert await _refresh(app, token) == 401


async def test_a_deleted_user_keeps_no_access(app: TestApp, u: dict[str, Any]) -> None:
    """Row A3."""
    token = await _token(app, u["email"])
    r = await app.client.delete(f"{USERS}/{u['id']}", headers=app.su())
    assert r.status_code == 204
    assert await _refresh(app, token) == 401
    view = await app.client.get(f"{USERS}/{u['id']}", headers={"Authorization": token})
    assert view.status_code == 404


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def _forge(app: TestApp, u: dict[str, Any], header: dict[str, Any], **claims: Any) -> str:
    """A token signed with the user's real key (collection secret + tokenKey), as only a
    leak of both would allow: what the server must still refuse comes from the rest."""
    users = app.backroom.schema.get("users")
    assert users is not None
    record = (await app.backroom.storage.get_records(users, [u["id"]]))[0]
    body = {
        "id": u["id"],
        "collectionId": users.id,
        "type": "auth",
        "refreshable": True,
        "exp": int(time.time()) + 600,
        **claims,
    }
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(body).encode())
    key = (record["tokenKey"] + users.options["authToken"]["secret"]).encode()
    return head + "." + _b64(hmac.digest(key, head.encode(), hashlib.sha256))


PLAIN = {"alg": "HS256", "typ": "JWT"}
FORGED: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"alg": "none", "typ": "JWT"}, {}, "alg none"),
    ({"alg": "HS512", "typ": "JWT"}, {}, "alg HS512"),
    ({**PLAIN, "kid": "other"}, {}, "a kid header"),
    ({**PLAIN, "jku": "http://127.0.0.1/jwks"}, {}, "a jku header"),
    ({**PLAIN, "x5u": "http://127.0.0.1/cert"}, {}, "an x5u header"),
    (PLAIN, {"exp": int(time.time()) - 5}, "a past exp"),
    (PLAIN, {"nbf": int(time.time()) + 600}, "a future nbf"),
    (PLAIN, {"type": "file"}, "a file token"),
    (PLAIN, {"type": "verification"}, "a verification token"),
    (PLAIN, {"type": "passwordReset"}, "a password reset token"),
    (PLAIN, {"type": "emailChange"}, "an email change token"),
    (PLAIN, {"collectionId": "_pb_users_auth_x"}, "another collection id"),
]


async def test_a_correctly_forged_plain_token_is_the_control(
    app: TestApp, u: dict[str, Any]
) -> None:
    assert await _refresh(app, await _forge(app, u, PLAIN)) == 200


@pytest.mark.parametrize(("header", "claims", "why"), FORGED, ids=[why for _, _, why in FORGED])
async def test_forged_and_non_auth_tokens_are_refused(
    app: TestApp, u: dict[str, Any], header: dict[str, Any], claims: dict[str, Any], why: str
) -> None:
    """Row A4: 401 on auth-refresh, and no more than a guest's view elsewhere."""
    token = await _forge(app, u, header, **claims)
    assert await _refresh(app, token) == 401, why
    view = await app.client.get(f"{USERS}/{u['id']}", headers={"Authorization": token})
    assert view.status_code == 404, why


async def test_a_token_signed_with_a_guessed_key_is_refused(
    app: TestApp, u: dict[str, Any]
) -> None:
    real = await _token(app, u["email"])
    head, body, _ = real.split(".")
    guessed = hmac.digest(b"secret", f"{head}.{body}".encode(), hashlib.sha256)
    assert await _refresh(app, f"{head}.{body}.{_b64(guessed)}") == 401


async def test_a_token_of_one_auth_collection_is_refused_on_another(
    app: TestApp, u: dict[str, Any]
) -> None:
    body = {"name": "members", "type": "auth"}
    assert (await app.client.post("/api/collections", headers=app.su(), json=body)).is_success
    token = await _token(app, u["email"])
    r = await app.client.post(
        "/api/collections/members/auth-refresh", headers={"Authorization": token}
    )
    assert r.status_code == 403
    assert r.json()["message"] == "The request requires auth record from users collection."
    assert await _refresh(app, token, "/api/collections/_superusers/auth-refresh") == 403
    assert await _refresh(app, app.superuser_token) == 403
    assert await _refresh(app, token, "/api/collections/nope/auth-refresh") == 404


async def test_refresh_keeps_the_sign_in_time(app: TestApp, u: dict[str, Any]) -> None:
    token = await _token(app, u["email"])
    r = await app.client.post(REFRESH, headers={"Authorization": token})
    assert r.status_code == 200
    assert set(r.json()) == {"token", "record"}
    first, second = read_claims_unverified(token), read_claims_unverified(r.json()["token"])
    assert first is not None
    assert second is not None
    assert second["auth_time"] == first["auth_time"]
    assert second["refreshable"] is True


@pytest.fixture
async def short_sessions(tmp_path: Path) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data", session_max_age=3600) as test_app:
        await test_app.login()
        yield test_app


async def test_an_absolute_session_lifetime_caps_tokens_and_ends_refreshes(
    short_sessions: TestApp,
) -> None:
    app = short_sessions
    u = await _user(app, "s@example.com")
    token = await _token(app, u["email"])
    claims = read_claims_unverified(token)
    assert claims is not None
    assert claims["exp"] <= claims["auth_time"] + 3600
    assert await _refresh(app, token) == 200
    started_long_ago = await _forge(app, u, PLAIN, auth_time=int(time.time()) - 3601)
    r = await app.client.post(REFRESH, headers={"Authorization": started_long_ago})
    assert r.status_code == 401
    assert r.json()["message"] == "The session has expired; sign in again."
    recent = await _forge(app, u, PLAIN, auth_time=int(time.time()) - 3000)
    r = await app.client.post(REFRESH, headers={"Authorization": recent})
    assert r.status_code == 200
    renewed = read_claims_unverified(r.json()["token"])
    assert renewed is not None
    assert renewed["exp"] <= int(time.time()) + 601


async def test_superuser_tokens_have_a_secret_that_outlives_option_changes(app: TestApp) -> None:
    c = app.backroom.schema.get("_superusers")
    assert c is not None
    secret = c.options["authToken"]["secret"]
    assert len(secret) >= 30
    r = await app.client.patch(
        "/api/collections/_superusers", headers=app.su(), json={"otp": {"duration": 120}}
    )
    assert r.status_code == 200, r.text
    assert (await app.client.get("/api/collections", headers=app.su())).status_code == 200
    c = app.backroom.schema.get("_superusers")
    assert c is not None
    assert c.options["authToken"]["secret"] == secret
