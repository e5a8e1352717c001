"""Scenario tables: a guest, users A and B and a superuser over posts, comments and team
memberships, on every path to a record (list, view, create, update, delete, expand)."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.testing import TestApp

PASSWORD = "s3cret-pw-1"
POSTS = "/api/collections/posts/records"
COMMENTS = "/api/collections/comments/records"
READ = (
    "published = true || author = @request.auth.id || "
    "(@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= team)"
)


async def _ok(app: TestApp, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await app.client.request(method, path, headers=app.su(), json=body)
    assert resp.is_success, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def _collection(app: TestApp, body: dict[str, Any]) -> str:
    return str((await _ok(app, "POST", "/api/collections", body))["id"])


@pytest.fixture
async def world(app: TestApp) -> dict[str, dict[str, str]]:
    users = "_pb_users_auth_"
    teams = await _collection(app, {"name": "teams", "fields": [{"name": "name", "type": "text"}]})

    def rel(name: str, target: str) -> dict[str, Any]:
        return {"name": name, "type": "relation", "collectionId": target, "maxSelect": 1}

    await _collection(
        app, {"name": "memberships", "fields": [rel("user", users), rel("team", teams)]}
    )
    posts = await _collection(
        app,
        {
            "name": "posts",
            "listRule": READ,
            "viewRule": READ,
            "createRule": "@request.auth.id != '' && @request.body.author = @request.auth.id",
            "updateRule": "author = @request.auth.id && @request.body.author:isset = false",
            "deleteRule": "author = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "published", "type": "bool"},
                rel("author", users),
                rel("team", teams),
            ],
        },
    )
    await _collection(
        app,
        {
            "name": "comments",
            "listRule": "post.published = true || post.author = @request.auth.id",
            "createRule": "@request.auth.id != '' && author = @request.auth.id && "
            "post.published = true",
            "fields": [rel("post", posts), rel("author", users), {"name": "text", "type": "text"}],
        },
    )
    headers: dict[str, str] = {}
    for who in ("a", "b"):
        body = {"id": f"user{who:0>11}", "email": f"{who}@example.com"}
        await _ok(
            app,
            "POST",
            "/api/collections/users/records",
            {**body, "password": PASSWORD, "passwordConfirm": PASSWORD},
        )
        login = await app.client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": f"{who}@example.com", "password": PASSWORD},
        )
        headers[who] = login.json()["token"]
    red = await _ok(app, "POST", "/api/collections/teams/records", {"name": "red"})
    await _ok(
        app,
        "POST",
        "/api/collections/memberships/records",
        {"user": "user0000000000a", "team": red["id"]},
    )
    for rid, published, author in (
        ("postpublished01", True, "a"),
        ("postprivatea001", False, "a"),
        ("postprivateb001", False, "b"),
    ):
        body = {
            "id": rid,
            "title": rid,
            "published": published,
            "author": f"user{author:0>11}",
            "team": red["id"],
        }
        await _ok(app, "POST", POSTS, body)
    for cid, post in (
        ("commentonpub001", "postpublished01"),
        ("commentonpriv01", "postprivateb001"),
    ):
        await _ok(app, "POST", COMMENTS, {"id": cid, "post": post, "author": "user0000000000b"})
    return {
        "guest": {},
        "a": {"Authorization": headers["a"]},
        "b": {"Authorization": headers["b"]},
        "superuser": {"Authorization": app.superuser_token},
    }


LISTS = [
    (POSTS, "guest", ["postpublished01"]),
    (POSTS, "a", ["postprivatea001", "postprivateb001", "postpublished01"]),
    (POSTS, "b", ["postprivateb001", "postpublished01"]),
    (POSTS, "superuser", ["postprivatea001", "postprivateb001", "postpublished01"]),
    (COMMENTS, "guest", ["commentonpub001"]),
    (COMMENTS, "a", ["commentonpub001"]),
    (COMMENTS, "b", ["commentonpriv01", "commentonpub001"]),
]


@pytest.mark.parametrize(("path", "caller", "expected"), LISTS)
async def test_each_caller_lists_what_the_rule_allows(
    app: TestApp, world: dict[str, dict[str, str]], path: str, caller: str, expected: list[str]
) -> None:
    resp = await app.client.get(path, headers=world[caller], params={"sort": "id"})
    assert resp.status_code == 200
    assert [r["id"] for r in resp.json()["items"]] == expected
    assert resp.json()["totalItems"] == len(expected)


WRITES = [
    ("GET", "postprivateb001", "guest", None, 404),
    ("GET", "postprivateb001", "a", None, 200),  # a member of the post's team
    ("GET", "postprivatea001", "b", None, 404),
    ("PATCH", "postprivateb001", "a", {"title": "x"}, 404),
    ("PATCH", "postprivateb001", "b", {"title": "x"}, 200),
    ("PATCH", "postprivateb001", "b", {"author": "user0000000000a"}, 404),
    ("DELETE", "postprivatea001", "b", None, 404),
    ("DELETE", "postprivatea001", "guest", None, 404),
    ("DELETE", "postprivatea001", "a", None, 204),
    ("POST", None, "guest", {"title": "t", "author": ""}, 400),
    ("POST", None, "a", {"title": "t", "author": "user0000000000b"}, 400),
    ("POST", None, "a", {"title": "t", "author": "user0000000000a"}, 200),
]


@pytest.mark.parametrize(("method", "rid", "caller", "body", "status"), WRITES)
async def test_each_caller_reads_and_writes_what_the_rules_allow(
    app: TestApp,
    world: dict[str, dict[str, str]],
    method: str,
    rid: str | None,
    caller: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    path = POSTS if rid is None else f"{POSTS}/{rid}"
    before = await app.client.get(POSTS, headers=world["superuser"], params={"sort": "id"})
    resp = await app.client.request(method, path, headers=world[caller], json=body)
    assert resp.status_code == status, resp.text
    after = await app.client.get(POSTS, headers=world["superuser"], params={"sort": "id"})
    if status >= 400:
        assert after.json() == before.json()  # a refused write changes nothing


@pytest.mark.parametrize(
    ("caller", "body", "status"),
    [
        ("b", {"post": "postpublished01", "author": "user0000000000b"}, 200),
        ("b", {"post": "postprivatea001", "author": "user0000000000b"}, 400),
        ("b", {"post": "postpublished01", "author": "user0000000000a"}, 400),
    ],
)
async def test_a_create_rule_sees_the_record_as_stored(
    app: TestApp, world: dict[str, dict[str, str]], caller: str, body: dict[str, Any], status: int
) -> None:
    resp = await app.client.post(COMMENTS, headers=world[caller], json=body)
    assert resp.status_code == status, resp.text


async def test_expand_leaves_out_records_the_caller_may_not_view(
    app: TestApp, world: dict[str, dict[str, str]]
) -> None:
    resp = await app.client.get(
        COMMENTS, headers=world["b"], params={"expand": "post,author", "sort": "id"}
    )
    items = {r["id"]: r for r in resp.json()["items"]}
    assert items["commentonpriv01"]["expand"]["post"]["id"] == "postprivateb001"
    # users' view rule is "id = @request.auth.id": B sees only B
    assert items["commentonpub001"]["expand"]["author"]["id"] == "user0000000000b"
    guest = await app.client.get(POSTS, params={"expand": "author"})
    assert all("author" not in r.get("expand", {}) for r in guest.json()["items"])


async def test_a_client_filter_cannot_widen_the_rule(
    app: TestApp, world: dict[str, dict[str, str]]
) -> None:
    """Row R2: the rule and the filter are combined as (rule) AND (filter)."""
    resp = await app.client.get(
        POSTS, headers=world["b"], params={"filter": "id != '' || id = ''", "sort": "id"}
    )
    assert [r["id"] for r in resp.json()["items"]] == ["postprivateb001", "postpublished01"]
