"""The system records that point at an auth record go with it: one record deleted, its
collection truncated or deleted."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.testing import TestApp

REFS = ("_otps", "_externalAuths", "_authOrigins")


async def _account(app: TestApp, collection: str, email: str) -> str:
    r = await app.client.post(
        f"/api/collections/{collection}/records",
        headers=app.su(),
        json={"email": email, "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def _point_at(app: TestApp, collection_id: str, record_id: str, tag: str) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "_otps": {"password": "s3cret-pw-1", "sentTo": ""},
        "_externalAuths": {"provider": "github", "providerId": f"gh-{tag}"},
        "_authOrigins": {"fingerprint": f"fp-{tag}"},
    }
    for name, body in bodies.items():
        r = await app.client.post(
            f"/api/collections/{name}/records",
            headers=app.su(),
            json={"collectionRef": collection_id, "recordRef": record_id, **body},
        )
        assert r.status_code == 200, (name, r.text)


async def _pointing_at(app: TestApp, record_id: str) -> dict[str, int]:
    counts = {}
    for name in REFS:
        r = await app.client.get(
            f"/api/collections/{name}/records",
            headers=app.su(),
            params={"filter": f"recordRef = '{record_id}'"},
        )
        assert r.status_code == 200, r.text
        counts[name] = r.json()["totalItems"]
    return counts


async def test_deleting_a_record_deletes_what_points_at_it(app: TestApp) -> None:
    users = (await app.client.get("/api/collections/users", headers=app.su())).json()["id"]
    gone, kept = (
        await _account(app, "users", "a@example.com"),
        await _account(app, "users", "b@example.com"),
    )
    await _point_at(app, users, gone, "a")
    await _point_at(app, users, kept, "b")
    r = await app.client.delete(f"/api/collections/users/records/{gone}", headers=app.su())
    assert r.status_code == 204
    assert await _pointing_at(app, gone) == dict.fromkeys(REFS, 0)
    assert await _pointing_at(app, kept) == dict.fromkeys(REFS, 1)


@pytest.mark.parametrize("how", ["truncate", "delete"])
async def test_emptying_or_deleting_an_auth_collection_deletes_what_points_at_it(
    app: TestApp, how: str
) -> None:
    r = await app.client.post(
        "/api/collections", headers=app.su(), json={"name": "members", "type": "auth"}
    )
    assert r.status_code == 200, r.text
    members = r.json()["id"]
    users = (await app.client.get("/api/collections/users", headers=app.su())).json()["id"]
    member, user = (
        await _account(app, "members", "m@example.com"),
        await _account(app, "users", "u@example.com"),
    )
    await _point_at(app, members, member, "m")
    await _point_at(app, users, user, "u")
    if how == "truncate":
        r = await app.client.delete("/api/collections/members/truncate", headers=app.su())
    else:
        r = await app.client.delete("/api/collections/members", headers=app.su())
    assert r.status_code == 204, r.text
    assert await _pointing_at(app, member) == dict.fromkeys(REFS, 0)
    assert await _pointing_at(app, user) == dict.fromkeys(REFS, 1)
