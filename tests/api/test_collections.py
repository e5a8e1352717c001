"""The collections API, scenario by scenario, over HTTP through the ASGI app."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.testing import TestApp

EVERY_FIELD: list[dict[str, Any]] = [
    {"name": "title", "type": "text", "required": True},
    {"name": "body", "type": "editor"},
    {"name": "views", "type": "number", "min": 0},
    {"name": "published", "type": "bool"},
    {"name": "contact", "type": "email"},
    {"name": "site", "type": "url"},
    {"name": "due", "type": "date"},
    {"name": "created", "type": "autodate", "onCreate": True},
    {"name": "status", "type": "select", "values": ["draft", "live"], "maxSelect": 1},
    {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
    {"name": "meta", "type": "json"},
    {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
    {"name": "cover", "type": "file", "maxSelect": 1},
    {"name": "secret", "type": "password"},
    {"name": "where", "type": "geoPoint"},
]


async def _create(app: TestApp, body: dict[str, Any]) -> Any:
    return await app.client.post("/api/collections", headers=app.su(), json=body)


async def test_a_guest_gets_401_and_a_user_gets_403_on_collections(app: TestApp) -> None:
    guest = await app.client.get("/api/collections")
    assert guest.status_code == 401
    assert guest.json() == {
        "status": 401,
        "message": "The request requires valid record authorization token.",
        "data": {},
    }
    user = {"email": "u@example.com", "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"}
    created = await app.client.post("/api/collections/users/records", json=user)
    assert created.status_code == 200, created.text
    login = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "u@example.com", "password": "s3cret-pw-1"},
    )
    assert login.status_code == 200, login.text
    forbidden = await app.client.get(
        "/api/collections", headers={"Authorization": login.json()["token"]}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "Only superusers can perform this action."


async def test_a_collection_with_every_field_type_is_created_and_listed(app: TestApp) -> None:
    resp = await _create(app, {"name": "everything", "fields": EVERY_FIELD})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"].startswith("pbc_")
    assert [f["name"] for f in body["fields"]] == ["id"] + [f["name"] for f in EVERY_FIELD]
    assert all(body[r] is None for r in ("listRule", "viewRule", "createRule"))
    listed = await app.client.get("/api/collections", headers=app.su(), params={"perPage": 100})
    assert "everything" in [c["name"] for c in listed.json()["items"]]
    one = await app.client.get("/api/collections/everything", headers=app.su())
    assert one.json()["fields"] == body["fields"]


async def test_a_new_collection_gets_only_the_id_field(app: TestApp) -> None:
    resp = await _create(app, {"name": "bare"})
    assert resp.status_code == 200
    assert [f["name"] for f in resp.json()["fields"]] == ["id"]
    assert resp.json()["indexes"] == []


@pytest.mark.parametrize(
    ("body", "error_path"),
    [
        ({"name": ""}, ("name",)),
        ({"name": 'x"; DROP TABLE _superusers;--'}, ("name",)),
        ({"name": "USERS"}, ("name",)),
        ({"name": "_params"}, ("name",)),
        ({"name": "sqlite_x"}, ("name",)),
        (
            {"name": "d", "fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "bool"}]},
            ("fields", "2", "name"),
        ),
        ({"name": "d", "fields": [{"name": "expand", "type": "text"}]}, ("fields", "1", "name")),
        ({"name": "d", "fields": [{"name": "a b", "type": "text"}]}, ("fields", "1", "name")),
        (
            {"name": "d", "fields": [{"name": "r", "type": "relation", "collectionId": "nope"}]},
            ("fields", "1", "collectionId"),
        ),
        (
            {"name": "d", "fields": [{"name": "t", "type": "text", "pattern": "(unclosed"}]},
            ("fields", "1", "pattern"),
        ),
        ({"name": "d", "fields": [{"name": "t", "type": "nonsense"}]}, ()),
        (
            {"name": "d", "indexes": ["CREATE INDEX i ON d (id); DROP TABLE users"]},
            ("indexes", "0"),
        ),
        ({"name": "d", "listRule": "nope = 1"}, ("listRule",)),
    ],
    ids=[
        "an empty name is refused",
        "a name with SQL in it is refused",
        "a name taken ignoring case is refused",
        "the name of a system table is refused",
        "an SQLite internal name is refused",
        "duplicate field names ignoring case are refused",
        "a reserved field name is refused",
        "a field name with a space is refused",
        "a relation to a missing collection is refused",
        "an invalid regex in a text pattern is refused",
        "an unknown field type is refused",
        "an index with a second statement is refused",
        "a rule over an unknown field is refused",
    ],
)
async def test_an_invalid_collection_is_refused_and_nothing_is_created(
    app: TestApp, body: dict[str, Any], error_path: tuple[str, ...]
) -> None:
    before = (await app.client.get("/api/collections", headers=app.su())).json()["totalItems"]
    resp = await _create(app, body)
    assert resp.status_code == 400, resp.text
    data = resp.json()
    assert set(data) == {"status", "message", "data"}
    node: Any = data["data"]
    for key in error_path:
        assert key in node, data
        node = node[key]
    after = (await app.client.get("/api/collections", headers=app.su())).json()["totalItems"]
    assert after == before


async def test_schema_changes_keep_the_data(app: TestApp) -> None:
    fields = [{"name": "title", "type": "text"}, {"name": "old", "type": "number"}]
    created = (await _create(app, {"name": "notes", "fields": fields, "viewRule": ""})).json()
    rec = await app.client.post(
        "/api/collections/notes/records", headers=app.su(), json={"title": "keep", "old": 3}
    )
    assert rec.status_code == 200, rec.text
    title = next(f for f in created["fields"] if f["name"] == "title")
    new_fields = [
        created["fields"][0],
        {**title, "name": "heading"},
        {"name": "added", "type": "bool"},
    ]
    resp = await app.client.patch(
        "/api/collections/notes", headers=app.su(), json={"name": "memos", "fields": new_fields}
    )
    assert resp.status_code == 200, resp.text
    got = await app.client.get(f"/api/collections/memos/records/{rec.json()['id']}")
    assert got.status_code == 200, got.text
    record = got.json()
    assert record["heading"] == "keep"
    assert record["added"] is False
    assert "old" not in record
    assert "title" not in record


async def test_a_collection_referenced_by_a_relation_cannot_be_deleted(app: TestApp) -> None:
    target = (await _create(app, {"name": "authors"})).json()
    rel = {"name": "author", "type": "relation", "collectionId": target["id"], "maxSelect": 1}
    assert (await _create(app, {"name": "books", "fields": [rel]})).status_code == 200
    resp = await app.client.delete("/api/collections/authors", headers=app.su())
    assert resp.status_code == 400
    assert (await app.client.get("/api/collections/authors", headers=app.su())).status_code == 200
    assert (await app.client.delete("/api/collections/books", headers=app.su())).status_code == 204
    assert (
        await app.client.delete("/api/collections/authors", headers=app.su())
    ).status_code == 204


async def test_a_unique_index_refuses_duplicates_and_over_duplicate_data(app: TestApp) -> None:
    fields = [{"name": "code", "type": "text"}]
    index = "CREATE UNIQUE INDEX idx_code ON codes (code)"
    assert (await _create(app, {"name": "codes", "fields": fields})).status_code == 200
    for _ in range(2):
        r = await app.client.post(
            "/api/collections/codes/records", headers=app.su(), json={"code": "a"}
        )
        assert r.status_code == 200
    refused = await app.client.patch(
        "/api/collections/codes", headers=app.su(), json={"indexes": [index]}
    )
    assert refused.status_code == 400
    coll = (await app.client.get("/api/collections/codes", headers=app.su())).json()
    assert coll["indexes"] == []
    await app.client.delete("/api/collections/codes/truncate", headers=app.su())
    ok = await app.client.patch(
        "/api/collections/codes", headers=app.su(), json={"indexes": [index]}
    )
    assert ok.status_code == 200, ok.text
    first = await app.client.post(
        "/api/collections/codes/records", headers=app.su(), json={"code": "b"}
    )
    assert first.status_code == 200
    dup = await app.client.post(
        "/api/collections/codes/records", headers=app.su(), json={"code": "b"}
    )
    assert dup.status_code == 400
    assert dup.json()["data"]["code"]["code"] == "validation_not_unique"


async def test_truncate_deletes_every_record(app: TestApp) -> None:
    await _create(app, {"name": "tmp", "listRule": "", "fields": [{"name": "x", "type": "text"}]})
    for i in range(3):
        await app.client.post("/api/collections/tmp/records", headers=app.su(), json={"x": str(i)})
    resp = await app.client.delete("/api/collections/tmp/truncate", headers=app.su())
    assert resp.status_code == 204
    listed = await app.client.get("/api/collections/tmp/records")
    assert listed.json()["totalItems"] == 0


async def test_import_creates_related_collections_in_one_go(app: TestApp) -> None:
    collections = [
        {"id": "pbc_1000000001", "name": "teams", "type": "base", "fields": []},
        {
            "name": "players",
            "fields": [{"name": "team", "type": "relation", "collectionId": "pbc_1000000001"}],
        },
    ]
    resp = await app.client.put(
        "/api/collections/import", headers=app.su(), json={"collections": collections}
    )
    assert resp.status_code == 204, resp.text
    players = (await app.client.get("/api/collections/players", headers=app.su())).json()
    assert players["fields"][-1]["collectionId"] == "pbc_1000000001"


async def test_a_failed_import_changes_nothing(app: TestApp) -> None:
    collections = [{"name": "good"}, {"name": "bad name"}]
    resp = await app.client.put(
        "/api/collections/import", headers=app.su(), json={"collections": collections}
    )
    assert resp.status_code == 400
    assert (await app.client.get("/api/collections/good", headers=app.su())).status_code == 404
