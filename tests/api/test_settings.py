"""The settings API: who may use it, its shape, validation, secrets and persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backroom.testing import TestApp, running_app

SECTIONS = {
    "superuserIPs",
    "smtp",
    "backups",
    "s3",
    "meta",
    "rateLimits",
    "trustedProxy",
    "batch",
    "logs",
}


async def test_guests_get_401_and_regular_users_403(app: TestApp) -> None:
    assert (await app.client.get("/api/settings")).status_code == 401
    body = {"email": "u@example.com", "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"}
    await app.client.post("/api/collections/users/records", json=body)
    login = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "u@example.com", "password": "s3cret-pw-1"},
    )
    user = {"Authorization": login.json()["token"]}
    for method in ("GET", "PATCH"):
        r = await app.client.request(method, "/api/settings", headers=user, json={})
        assert r.status_code == 403
        assert r.json()["message"] == "Only superusers can perform this action."
    r = await app.client.post("/api/settings/test/email", headers=user, json={})
    assert r.status_code == 403


async def test_defaults_have_every_section_and_rate_limits_on(app: TestApp) -> None:
    r = await app.client.get("/api/settings", headers=app.su())
    assert r.status_code == 200
    body = r.json()
    assert set(body) == SECTIONS
    assert body["rateLimits"]["enabled"] is True
    labels = {rule["label"] for rule in body["rateLimits"]["rules"]}
    assert {"*:auth", "*:requestPasswordReset", "*:confirmPasswordReset"} <= labels
    assert not labels & {"*:create", "/api/"}  # ordinary traffic is not throttled by default
    assert body["meta"]["appName"] == "Acme"
    assert body["batch"] == {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}
    assert "password" not in body["smtp"]
    assert "secret" not in body["s3"]
    assert "secret" not in body["backups"]["s3"]


async def test_patch_merges_and_hides_secrets_but_keeps_them(app: TestApp) -> None:
    patch = {
        "meta": {"appName": "Shop"},
        "smtp": {"username": "mailer", "password": "s3cret"},
        "s3": {"secret": "abc"},
    }
    r = await app.client.patch("/api/settings", headers=app.su(), json=patch)
    assert r.status_code == 200
    body = r.json()
    assert body["meta"]["appName"] == "Shop"
    assert body["meta"]["appURL"] == "http://localhost:8090"
    assert body["smtp"]["username"] == "mailer"
    assert "password" not in body["smtp"]
    assert "secret" not in body["s3"]
    current = app.backroom.app_settings.current
    assert current["smtp"]["password"] == "s3cret"
    assert current["s3"]["secret"] == "abc"
    # a later PATCH that leaves the password out keeps it
    await app.client.patch("/api/settings", headers=app.su(), json={"smtp": {"port": 2525}})
    assert app.backroom.app_settings.current["smtp"]["password"] == "s3cret"


async def test_settings_survive_a_restart(tmp_path: Path) -> None:
    async with running_app(tmp_path / "d") as app:
        await app.login()
        patch = {"meta": {"appName": "Kept"}, "rateLimits": {"enabled": False}}
        assert (await app.client.patch("/api/settings", headers=app.su(), json=patch)).is_success
    async with running_app(tmp_path / "d") as app:
        assert app.backroom.app_settings.current["meta"]["appName"] == "Kept"
        assert app.backroom.app_settings.current["rateLimits"]["enabled"] is False


async def test_a_listener_sees_each_change_at_once(app: TestApp) -> None:
    seen: list[Any] = []
    app.backroom.app_settings.subscribe(lambda s: seen.append(s["batch"]["enabled"]))
    await app.client.patch("/api/settings", headers=app.su(), json={"batch": {"enabled": True}})
    assert seen == [True]


INVALID = [
    ({"smtp": {"enabled": True, "host": ""}}, {"smtp": {"host": "validation_required"}}),
    ({"meta": {"appName": ""}}, {"meta": {"appName": "validation_required"}}),
    ({"meta": {"appURL": "not a url"}}, {"meta": {"appURL": "validation_is_url"}}),
    ({"meta": {"senderAddress": "nope"}}, {"meta": {"senderAddress": "validation_is_email"}}),
    (
        {"rateLimits": {"rules": [{"label": "bad label", "duration": 1, "maxRequests": 1}]}},
        {"rateLimits": {"rules": {"0": {"label": "validation_match_invalid"}}}},
    ),
    (
        {
            "rateLimits": {
                "rules": [{"label": "/a/", "audience": "x", "duration": 1, "maxRequests": 1}]
            }
        },
        {"rateLimits": {"rules": {"0": {"audience": "validation_in_invalid"}}}},
    ),
    (
        {"batch": {"enabled": True, "maxRequests": 0}},
        {"batch": {"maxRequests": "validation_required"}},
    ),
    ({"s3": {"enabled": True, "bucket": "b"}}, {"s3": {"region": "validation_required"}}),
]


def _codes(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v["code"] if "code" in v else _codes(v) for k, v in data.items()}


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    for k, v in inner.items():
        if k not in outer:
            return False
        if isinstance(v, dict):
            if not isinstance(outer[k], dict) or not _contains(outer[k], v):
                return False
        elif outer[k] != v:
            return False
    return True


@pytest.mark.parametrize(("patch", "expected"), INVALID, ids=lambda v: str(v)[:60])
async def test_invalid_settings_are_refused_and_nothing_changes(
    app: TestApp, patch: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = app.backroom.app_settings.snapshot()
    r = await app.client.patch("/api/settings", headers=app.su(), json=patch)
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == "An error occurred while saving the new settings."
    assert _contains(_codes(body["data"]), expected), body["data"]
    assert app.backroom.app_settings.snapshot() == before


@pytest.mark.parametrize(
    "patch",
    [
        {"smtp": {"port": "25"}},
        {"meta": "x"},
        {"batch": {"enabled": 1}},
        {"rateLimits": {"rules": ["x"]}},
    ],
)
async def test_wrong_json_types_are_refused(app: TestApp, patch: dict[str, Any]) -> None:
    r = await app.client.patch("/api/settings", headers=app.su(), json=patch)
    assert r.status_code == 400
    assert r.json()["message"] == "An error occurred while loading the submitted data."


@pytest.mark.parametrize(
    "label", ["/api/", "GET /api/collections", "users:auth", "*:auth", "*:create", "posts:list"]
)
async def test_every_rate_limit_label_form_is_accepted(app: TestApp, label: str) -> None:
    rule = {"label": label, "audience": "@guest", "duration": 3, "maxRequests": 5}
    r = await app.client.patch(
        "/api/settings", headers=app.su(), json={"rateLimits": {"rules": [rule]}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["rateLimits"]["rules"] == [rule]
