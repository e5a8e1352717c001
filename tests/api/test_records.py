"""The records API, scenario by scenario, over HTTP through the ASGI app."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backroom.testing import TestApp

POSTS = "/api/collections/posts/records"


@pytest.fixture
async def blog(app: TestApp) -> TestApp:
    authors = {
        "name": "authors",
        "listRule": "",
        "viewRule": "",
        "fields": [{"name": "name", "type": "text"}],
    }
    r = await app.client.post("/api/collections", headers=app.su(), json=authors)
    assert r.status_code == 200, r.text
    posts = {
        "name": "posts",
        "listRule": "",
        "viewRule": "",
        "createRule": "",
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {"name": "author", "type": "relation", "collectionId": r.json()["id"], "maxSelect": 1},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
    }
    r = await app.client.post("/api/collections", headers=app.su(), json=posts)
    assert r.status_code == 200, r.text
    return app


async def _author(app: TestApp, name: str) -> str:
    r = await app.client.post(
        "/api/collections/authors/records", headers=app.su(), json={"name": name}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def _post(app: TestApp, **values: Any) -> dict[str, Any]:
    r = await app.client.post(POSTS, json=values)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_a_record_goes_through_create_view_update_delete(blog: TestApp) -> None:
    created = await _post(blog, title="Hello", views=3, tags=["a"])
    assert created["collectionName"] == "posts"
    assert created["title"] == "Hello"
    assert created["views"] == 3
    assert created["published"] is False
    assert len(created["id"]) == 15
    viewed = (await blog.client.get(f"{POSTS}/{created['id']}")).json()
    assert viewed == created
    updated = await blog.client.patch(
        f"{POSTS}/{created['id']}", headers=blog.su(), json={"title": "Bye", "views+": 2}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["title"], updated.json()["views"]) == ("Bye", 5)
    deleted = await blog.client.delete(f"{POSTS}/{created['id']}", headers=blog.su())
    assert deleted.status_code == 204
    assert (await blog.client.get(f"{POSTS}/{created['id']}")).status_code == 404


async def test_the_list_envelope_pages_and_clamps(blog: TestApp) -> None:
    for i in range(5):
        await _post(blog, title=f"t{i}", views=i)
    page = (await blog.client.get(POSTS, params={"perPage": 2, "page": 2})).json()
    assert {k: page[k] for k in ("page", "perPage", "totalItems", "totalPages")} == {
        "page": 2,
        "perPage": 2,
        "totalItems": 5,
        "totalPages": 3,
    }
    assert len(page["items"]) == 2
    clamped = (await blog.client.get(POSTS, params={"perPage": 10**9})).json()
    assert clamped["perPage"] == 1000
    skipped = (await blog.client.get(POSTS, params={"skipTotal": 1})).json()
    assert (skipped["totalItems"], skipped["totalPages"]) == (-1, -1)
    assert len(skipped["items"]) == 5


async def test_filter_sort_and_fields_select_and_shape_the_list(blog: TestApp) -> None:
    for i, title in enumerate(["apple", "Banana", "cherry", "avocado"]):
        await _post(blog, title=title, views=i * 10, published=i % 2 == 0)
    got = await blog.client.get(
        POSTS,
        params={"filter": 'title ~ "a" && views >= 10', "sort": "-views", "fields": "title"},
    )
    assert got.status_code == 200, got.text
    assert got.json()["items"] == [{"title": "avocado"}, {"title": "Banana"}]
    eq = await blog.client.get(POSTS, params={"filter": "published = true", "sort": "title"})
    assert [r["title"] for r in eq.json()["items"]] == ["apple", "cherry"]


async def test_expand_adds_the_related_record(blog: TestApp) -> None:
    ann = await _author(blog, "Ann")
    post = await _post(blog, title="x", author=ann)
    got = (await blog.client.get(f"{POSTS}/{post['id']}", params={"expand": "author"})).json()
    assert got["expand"]["author"]["name"] == "Ann"
    bare = await _post(blog, title="no author")
    got = (await blog.client.get(f"{POSTS}/{bare['id']}", params={"expand": "author"})).json()
    assert got["expand"] == {}
    by_name = await blog.client.get(POSTS, params={"filter": 'author.name = "Ann"'})
    assert [r["id"] for r in by_name.json()["items"]] == [post["id"]]


async def test_a_locked_rule_gives_403_and_an_empty_rule_lets_everyone_in(blog: TestApp) -> None:
    post = await _post(blog, title="x")
    locked = await blog.client.delete(f"{POSTS}/{post['id']}")
    assert locked.status_code == 403
    assert locked.json()["message"] == "Only superusers can perform this action."
    assert (await blog.client.get(f"{POSTS}/{post['id']}")).status_code == 200


@pytest.mark.parametrize(
    ("record_id", "status"),
    [("abcdefghij12345", 200), ("ABCDEFGHIJ12345", 400), ("short", 400), ("a' OR 1=1--xxxx", 400)],
    ids=[
        "a valid client id is kept",
        "upper case letters are refused",
        "a short id is refused",
        "an id with SQL in it is refused",
    ],
)
async def test_client_supplied_ids_are_validated(
    blog: TestApp, record_id: str, status: int
) -> None:
    r = await blog.client.post(POSTS, json={"id": record_id, "title": "x"})
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["id"] == record_id
        dup = await blog.client.post(POSTS, json={"id": record_id, "title": "y"})
        assert dup.status_code == 400


async def test_concurrent_increments_lose_no_update(blog: TestApp) -> None:
    post = await _post(blog, title="counter", views=0)
    url = f"{POSTS}/{post['id']}"

    async def bump(delta: str) -> int:
        r = await blog.client.patch(url, headers=blog.su(), json={delta: 1})
        return r.status_code

    statuses = await asyncio.gather(*(bump("views+" if i % 4 else "views-") for i in range(40)))
    assert set(statuses) == {200}
    final = (await blog.client.get(url)).json()["views"]
    assert final == 30 - 10


async def test_select_modifiers_append_prepend_and_remove(blog: TestApp) -> None:
    post = await _post(blog, title="x", tags=["b"])
    url = f"{POSTS}/{post['id']}"
    r = await blog.client.patch(url, headers=blog.su(), json={"tags+": "c", "+tags": "a"})
    assert r.json()["tags"] == ["a", "b", "c"]
    r = await blog.client.patch(url, headers=blog.su(), json={"tags-": ["a", "c"]})
    assert r.json()["tags"] == ["b"]


async def _relation_setup(app: TestApp, cascade: bool, required: bool) -> tuple[str, str]:
    parent = (
        await app.client.post("/api/collections", headers=app.su(), json={"name": "parents"})
    ).json()
    rel = {
        "name": "parent",
        "type": "relation",
        "collectionId": parent["id"],
        "maxSelect": 1,
        "cascadeDelete": cascade,
        "required": required,
    }
    r = await app.client.post(
        "/api/collections", headers=app.su(), json={"name": "children", "fields": [rel]}
    )
    assert r.status_code == 200, r.text
    p = (
        await app.client.post("/api/collections/parents/records", headers=app.su(), json={})
    ).json()
    c = (
        await app.client.post(
            "/api/collections/children/records", headers=app.su(), json={"parent": p["id"]}
        )
    ).json()
    return p["id"], c["id"]


@pytest.mark.parametrize(
    ("cascade", "required", "status", "child_left", "child_parent"),
    [
        (True, False, 204, False, None),
        (False, True, 400, True, "same"),
        (False, False, 204, True, ""),
    ],
    ids=[
        "a cascading relation deletes the child",
        "a required relation refuses the delete",
        "an optional relation is unlinked",
    ],
)
async def test_deleting_a_referenced_record(
    app: TestApp,
    cascade: bool,
    required: bool,
    status: int,
    child_left: bool,
    child_parent: str | None,
) -> None:
    pid, cid = await _relation_setup(app, cascade, required)
    r = await app.client.delete(f"/api/collections/parents/records/{pid}", headers=app.su())
    assert r.status_code == status, r.text
    child = await app.client.get(f"/api/collections/children/records/{cid}", headers=app.su())
    assert (child.status_code == 200) is child_left
    if child_left:
        assert child.json()["parent"] == (pid if child_parent == "same" else child_parent)


async def test_a_relation_to_a_missing_record_is_refused(blog: TestApp) -> None:
    r = await blog.client.post(POSTS, json={"title": "x", "author": "zzzzzzzzzzzzzzz"})
    assert r.status_code == 400
    assert r.json()["data"]["author"]["code"] == "validation_missing_rel_records"


async def test_hidden_and_secret_fields_never_leave_the_server(app: TestApp) -> None:
    user = {"email": "u@example.com", "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"}
    created = await app.client.post("/api/collections/users/records", json=user)
    assert created.status_code == 200, created.text
    body = created.json()
    assert "password" not in body
    assert "tokenKey" not in body
    listed = await app.client.get(
        "/api/collections/users/records", headers=app.su(), params={"fields": "*,password,tokenKey"}
    )
    for item in listed.json()["items"]:
        assert "password" not in item
        assert "tokenKey" not in item


async def test_a_hundred_concurrent_writers_never_see_a_locked_database(blog: TestApp) -> None:
    async def create(i: int) -> int:
        r = await blog.client.post(POSTS, json={"title": f"w{i}", "views": i})
        return r.status_code

    statuses = await asyncio.gather(*(create(i) for i in range(100)))
    assert statuses == [200] * 100
    listed = await blog.client.get(POSTS, params={"perPage": 1})
    assert listed.json()["totalItems"] == 100


async def test_concurrent_creates_of_one_unique_value_let_exactly_one_through(
    app: TestApp,
) -> None:
    body = {
        "name": "handles",
        "createRule": "",
        "fields": [{"name": "handle", "type": "text"}],
        "indexes": ["CREATE UNIQUE INDEX idx_handle ON handles (handle)"],
    }
    assert (
        await app.client.post("/api/collections", headers=app.su(), json=body)
    ).status_code == 200

    async def create() -> int:
        r = await app.client.post("/api/collections/handles/records", json={"handle": "same"})
        return r.status_code

    statuses = await asyncio.gather(*(create() for _ in range(50)))
    assert sorted(statuses) == [200] + [400] * 49


async def test_expand_follows_nested_relations_and_obeys_the_related_view_rule(
    app: TestApp,
) -> None:
    teams = {"name": "teams", "viewRule": None, "fields": [{"name": "label", "type": "text"}]}
    t = (await app.client.post("/api/collections", headers=app.su(), json=teams)).json()
    people = {
        "name": "people",
        "viewRule": "",
        "fields": [{"name": "team", "type": "relation", "collectionId": t["id"], "maxSelect": 1}],
    }
    p = (await app.client.post("/api/collections", headers=app.su(), json=people)).json()
    notes = {
        "name": "notes",
        "viewRule": "",
        "fields": [{"name": "who", "type": "relation", "collectionId": p["id"], "maxSelect": 5}],
    }
    assert (
        await app.client.post("/api/collections", headers=app.su(), json=notes)
    ).status_code == 200
    team = (
        await app.client.post(
            "/api/collections/teams/records", headers=app.su(), json={"label": "red"}
        )
    ).json()
    person = (
        await app.client.post(
            "/api/collections/people/records", headers=app.su(), json={"team": team["id"]}
        )
    ).json()
    note = (
        await app.client.post(
            "/api/collections/notes/records", headers=app.su(), json={"who": [person["id"]]}
        )
    ).json()
    url = f"/api/collections/notes/records/{note['id']}"
    as_su = (await app.client.get(url, headers=app.su(), params={"expand": "who.team"})).json()
    assert as_su["expand"]["who"][0]["expand"]["team"]["label"] == "red"
    as_guest = (await app.client.get(url, params={"expand": "who.team"})).json()
    assert as_guest["expand"]["who"][0]["id"] == person["id"]
    assert "team" not in as_guest["expand"]["who"][0].get("expand", {})


async def test_truncate_cascades_and_refuses_required_references(app: TestApp) -> None:
    pid, cid = await _relation_setup(app, cascade=True, required=False)
    r = await app.client.delete("/api/collections/parents/truncate", headers=app.su())
    assert r.status_code == 204
    child = await app.client.get(f"/api/collections/children/records/{cid}", headers=app.su())
    assert child.status_code == 404
    await app.client.delete("/api/collections/children", headers=app.su())
    await app.client.delete("/api/collections/parents", headers=app.su())
    pid, cid = await _relation_setup(app, cascade=False, required=True)
    r = await app.client.delete("/api/collections/parents/truncate", headers=app.su())
    assert r.status_code == 400
    assert r.json()["message"].startswith("Failed to truncate collection")
    parent = await app.client.get(f"/api/collections/parents/records/{pid}", headers=app.su())
    assert parent.status_code == 200
