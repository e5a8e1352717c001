"""``POST /api/collections/{collection}/impersonate/{id}``: superusers get a non-refreshable
token of another auth record (row A4: a refresh gives the same token back, never a longer
one)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from backroom.core.auth.tokens import read_claims_unverified
from backroom.testing import TestApp

USERS = "/api/collections/users/records"
PASSWORD = "s3cret-pw-1"


@pytest.fixture
async def u(app: TestApp) -> dict[str, Any]:
    body = {"email": "u@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
    created = await app.client.post(USERS, json=body)
    assert created.status_code == 200, created.text
    login = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "u@example.com", "password": PASSWORD},
    )
    return {"id": created.json()["id"], "auth": {"Authorization": login.json()["token"]}}


def _path(record_id: str, collection: str = "users") -> str:
    return f"/api/collections/{collection}/impersonate/{record_id}"


async def test_a_superuser_gets_a_token_acting_as_the_user(app: TestApp, u: dict[str, Any]) -> None:
    r = await app.client.post(_path(u["id"]), headers=app.su(), json={"duration": 100})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "record"}
    assert body["record"]["id"] == u["id"]
    assert body["record"]["email"] == "u@example.com"
    claims = read_claims_unverified(body["token"])
    assert claims is not None
    assert claims["refreshable"] is False
    assert claims["type"] == "auth"
    assert abs(claims["exp"] - (time.time() + 100)) < 30
    as_user = {"Authorization": body["token"]}
    view = await app.client.get(f"{USERS}/{u['id']}", headers=as_user)
    assert view.status_code == 200
    refresh = await app.client.post("/api/collections/users/auth-refresh", headers=as_user)
    assert refresh.status_code == 200  # as PocketBase: the same token back, not extended
    assert refresh.json()["token"] == body["token"]


async def test_without_a_duration_the_collection_duration_applies(
    app: TestApp, u: dict[str, Any]
) -> None:
    r = await app.client.post(_path(u["id"]), headers=app.su())
    assert r.status_code == 200, r.text
    claims = read_claims_unverified(r.json()["token"])
    assert claims is not None
    assert abs(claims["exp"] - (time.time() + 432000)) < 30


async def test_a_password_change_ends_an_impersonation(app: TestApp, u: dict[str, Any]) -> None:
    token = (await app.client.post(_path(u["id"]), headers=app.su())).json()["token"]
    change = {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2"}
    assert (await app.client.patch(f"{USERS}/{u['id']}", headers=app.su(), json=change)).is_success
    view = await app.client.get(f"{USERS}/{u['id']}", headers={"Authorization": token})
    assert view.status_code == 404


async def test_only_superusers_may_impersonate(app: TestApp, u: dict[str, Any]) -> None:
    guest = await app.client.post(_path(u["id"]))
    assert guest.status_code == 401
    user = await app.client.post(_path(u["id"]), headers=u["auth"])
    assert user.status_code == 403
    assert set(user.json()) == {"status", "message", "data"}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (_path("nope00000000000"), {}, 404),
        (_path("x", "nope"), {}, 404),
        (_path("x", "_superusers"), {}, 404),
        ("{user}", {"duration": -1}, 400),
        ("{user}", {"duration": "soon"}, 400),
        ("{user}", {"duration": 1.5}, 400),
        ("{user}", {"duration": "60"}, 400),
    ],
    ids=[
        "unknown record",
        "unknown collection",
        "a user id in _superusers",
        "negative",
        "text",
        "a fraction",
        "a number in a string",
    ],
)
async def test_bad_impersonations(
    app: TestApp, u: dict[str, Any], path: str, body: dict[str, Any], status: int
) -> None:
    path = _path(u["id"]) if path == "{user}" else path
    r = await app.client.post(path, headers=app.su(), json=body)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"status", "message", "data"}
