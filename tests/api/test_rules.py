"""API rules on every path to a record: list filters silently, view/update/delete 404,
create 400 with nothing written, null rules 403."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.testing import TestApp

NOTES = "/api/collections/notes/records"


async def _user(app: TestApp, email: str) -> tuple[str, dict[str, str]]:
    body = {"email": email, "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"}
    created = await app.client.post("/api/collections/users/records", json=body)
    assert created.status_code == 200, created.text
    login = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": "s3cret-pw-1"},
    )
    assert login.status_code == 200, login.text
    return created.json()["id"], {"Authorization": login.json()["token"]}


@pytest.fixture
async def owned(app: TestApp) -> dict[str, Any]:
    owner = "@request.auth.id != '' && owner = @request.auth.id"
    body = {
        "name": "notes",
        "listRule": owner,
        "viewRule": owner,
        "createRule": "@request.auth.id != '' && @request.body.owner = @request.auth.id",
        "updateRule": owner,
        "deleteRule": None,
        "fields": [
            {"name": "text", "type": "text"},
            {
                "name": "owner",
                "type": "relation",
                "collectionId": "_pb_users_auth_",
                "maxSelect": 1,
            },
        ],
    }
    r = await app.client.post("/api/collections", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    u_id, u = await _user(app, "u@example.com")
    v_id, v = await _user(app, "v@example.com")
    notes = {}
    for who, uid, headers in (("u", u_id, u), ("v", v_id, v)):
        r = await app.client.post(NOTES, headers=headers, json={"text": who, "owner": uid})
        assert r.status_code == 200, r.text
        notes[who] = r.json()["id"]
    return {"app": app, "u": u, "v": v, "u_id": u_id, "notes": notes}


async def _count(app: TestApp) -> int:
    r = await app.client.get(NOTES, headers=app.su())
    return int(r.json()["totalItems"])


async def test_a_list_rule_filters_silently_and_counts_only_visible_rows(
    owned: dict[str, Any],
) -> None:
    app: TestApp = owned["app"]
    mine = await app.client.get(NOTES, headers=owned["u"])
    assert mine.status_code == 200
    assert [r["text"] for r in mine.json()["items"]] == ["u"]
    assert mine.json()["totalItems"] == 1
    guest = await app.client.get(NOTES)
    assert guest.json()["items"] == []


async def test_a_client_filter_cannot_widen_the_rule(owned: dict[str, Any]) -> None:
    app: TestApp = owned["app"]
    r = await app.client.get(NOTES, headers=owned["u"], params={"filter": "id != '' || id = ''"})
    assert [x["text"] for x in r.json()["items"]] == ["u"]


@pytest.mark.parametrize("method", ["GET", "PATCH"], ids=["view", "update"])
async def test_another_users_record_is_404_and_unchanged(
    owned: dict[str, Any], method: str
) -> None:
    app: TestApp = owned["app"]
    url = f"{NOTES}/{owned['notes']['v']}"
    r = await app.client.request(method, url, headers=owned["u"], json={"text": "hacked"})
    assert r.status_code == 404
    assert r.json()["message"] == "The requested resource wasn't found."
    stored = await app.client.get(url, headers=app.su())
    assert stored.json()["text"] == "v"


async def test_a_failing_create_rule_is_400_and_writes_nothing(owned: dict[str, Any]) -> None:
    app: TestApp = owned["app"]
    before = await _count(app)
    victim = (await app.client.get(f"{NOTES}/{owned['notes']['v']}", headers=app.su())).json()
    r = await app.client.post(
        NOTES, headers=owned["u"], json={"text": "x", "owner": victim["owner"]}
    )
    assert r.status_code == 400
    assert r.json()["message"] == "Failed to create record."
    guest = await app.client.post(NOTES, json={"text": "x", "owner": owned["u_id"]})
    assert guest.status_code == 400
    assert await _count(app) == before


async def test_a_null_rule_is_403_for_users_and_open_to_superusers(owned: dict[str, Any]) -> None:
    app: TestApp = owned["app"]
    url = f"{NOTES}/{owned['notes']['u']}"
    r = await app.client.delete(url, headers=owned["u"])
    assert r.status_code == 403
    assert r.json()["message"] == "Only superusers can perform this action."
    assert (await app.client.delete(url, headers=app.su())).status_code == 204


async def test_the_owner_may_update_their_record(owned: dict[str, Any]) -> None:
    app: TestApp = owned["app"]
    url = f"{NOTES}/{owned['notes']['u']}"
    r = await app.client.patch(url, headers=owned["u"], json={"text": "edited"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "edited"


async def test_a_password_change_signs_out_old_tokens(app: TestApp) -> None:
    uid, headers = await _user(app, "w@example.com")
    change = {
        "password": "new-password-1",
        "passwordConfirm": "new-password-1",
        "oldPassword": "s3cret-pw-1",
    }
    r = await app.client.patch(
        f"/api/collections/users/records/{uid}", headers=headers, json=change
    )
    assert r.status_code == 200, r.text
    again = await app.client.get(f"/api/collections/users/records/{uid}", headers=headers)
    assert again.status_code == 404
    refresh = await app.client.post("/api/collections/users/auth-refresh", headers=headers)
    assert refresh.status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a_b", ["a_b"]),
        ("x", ["axb"]),
        ("%b", ["a_b", "axb", "a\\b"]),
        ("\\", ["a\\b"]),
        ("5", ["50%"]),
    ],
    ids=["an underscore is literal", "plain text", "a % makes it a pattern", "a backslash", "%"],
)
async def test_contains_with_a_request_value_escapes_like_a_literal(
    app: TestApp, query: str, expected: list[str]
) -> None:
    body = {
        "name": "titles",
        "listRule": "title ~ @request.query.q",
        "fields": [{"name": "title", "type": "text"}],
    }
    assert (await app.client.post("/api/collections", headers=app.su(), json=body)).is_success
    for title in ("a_b", "axb", "50%", "a\\b"):
        path = "/api/collections/titles/records"
        assert (await app.client.post(path, headers=app.su(), json={"title": title})).is_success
    resp = await app.client.get("/api/collections/titles/records", params={"q": query})
    assert [item["title"] for item in resp.json()["items"]] == expected
