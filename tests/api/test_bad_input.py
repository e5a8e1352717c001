"""Bad input: a 4xx in PocketBase's error shape, nothing changed, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backroom.testing import TestApp, running_app

POSTS = "/api/collections/posts/records"
INJECTIONS = [
    'title="x\' OR 1=1--"',
    'title="\\") || 1=1 || (\\""',
    "title=\u201cx\u201d",
    "title='\x00'",
    "1=1; DROP TABLE posts",
]


@pytest.fixture
async def posts(app: TestApp) -> TestApp:
    body = {
        "name": "posts",
        "listRule": "",
        "viewRule": "",
        "createRule": "",
        "updateRule": "",
        "fields": [{"name": "title", "type": "text"}, {"name": "views", "type": "number"}],
    }
    r = await app.client.post("/api/collections", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    r = await app.client.post(POSTS, json={"title": "keep", "views": 1})
    assert r.status_code == 200
    return app


async def _snapshot(app: TestApp) -> Any:
    r = await app.client.get(POSTS, headers=app.su(), params={"perPage": 1000})
    return r.json()["items"]


def _assert_error_shape(resp: Any, status: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == status
    text = resp.text.lower()
    for leak in ("sqlite", "select ", "traceback", "syntax error", ".py"):
        assert leak not in text


LIST_CASES: list[tuple[dict[str, str], str]] = [
    ({"filter": "title = ((("}, "a filter syntax error"),
    ({"filter": "nope = 1"}, "an unknown field in the filter"),
    ({"filter": "title = 'x' && " * 300 + "id != ''"}, "a filter over 3500 characters"),
    ({"filter": " || ".join(["id != ''"] * 201)}, "a filter with 201 expressions"),
    ({"filter": "(" * 1500 + "id != ''" + ")" * 1500}, "a filter nested 1500 deep"),
    ({"sort": "nope"}, "an unknown field in the sort"),
    ({"sort": ",".join(["title"] * 9)}, "a sort with 9 expressions"),
    ({"sort": "title;DROP TABLE posts"}, "SQL in the sort"),
    ({"fields": "a)b"}, "a parenthesis in fields"),
    ({"expand": "a;DROP TABLE posts"}, "SQL in expand"),
    ({"expand": "a.b.c.d.e.f.g"}, "expand seven levels deep"),
    ({"perPage": "abc"}, "a perPage that is not a number"),
    *[({"filter": f}, f"injection {i} in the filter") for i, f in enumerate(INJECTIONS)],
]


@pytest.mark.parametrize(("params", "why"), LIST_CASES, ids=[c[1] for c in LIST_CASES])
async def test_a_bad_list_query_is_a_400(posts: TestApp, params: dict[str, str], why: str) -> None:
    resp = await posts.client.get(POSTS, params=params)
    if resp.status_code == 200:
        # an injection that parses as a plain string comparison must match nothing
        assert resp.json()["items"] == [], why
        return
    _assert_error_shape(resp, 400)


BODY_CASES: list[tuple[bytes, str, int, str]] = [
    (b"{bad", "application/json", 400, "malformed JSON"),
    (b"[1, 2]", "application/json", 400, "a JSON array instead of an object"),
    (b'{"title": "x"}', "text/plain", 400, "a wrong content type"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "JSON nested 100,000 deep"),
    (b'{"title": 5, "views": {"a": 1}}', "application/json", 400, "values of the wrong type"),
    (b"\xff\xfe{}", "application/json", 400, "invalid UTF-8"),
]


@pytest.mark.parametrize(
    ("raw", "ctype", "status", "why"), BODY_CASES, ids=[c[3] for c in BODY_CASES]
)
async def test_a_bad_body_is_refused_and_nothing_is_written(
    posts: TestApp, raw: bytes, ctype: str, status: int, why: str
) -> None:
    before = await _snapshot(posts)
    resp = await posts.client.post(POSTS, content=raw, headers={"Content-Type": ctype})
    if resp.status_code == 200 and why == "values of the wrong type":
        pytest.fail("a number for a text field and an object for a number were accepted")
    _assert_error_shape(resp, status)
    assert await _snapshot(posts) == before


async def test_polluting_keys_are_ignored(posts: TestApp) -> None:
    body: dict[str, Any] = {"title": "p", "__proto__": {"x": 1}, "constructor": 1, "__class__": 1}
    body.update({"a.b": 1, "title+": "z"})
    body.update({f"k{i}": i for i in range(10_000)})
    resp = await posts.client.post(POSTS, json=body)
    assert resp.status_code == 200, resp.text
    record = resp.json()
    assert record["title"] == "p"
    assert not {"__proto__", "constructor", "__class__", "a.b", "k1"} & set(record)


@pytest.mark.parametrize(
    "path",
    [
        "/api/collections/nope/records",
        "/api/collections/x%22%3B%20DROP%20TABLE%20posts%3B--/records",
        f"{POSTS}/nope",
        f"{POSTS}/x'%20OR%201=1--",
    ],
    ids=["an unknown collection", "SQL as a collection name", "an invalid id", "SQL as an id"],
)
async def test_unknown_collections_and_ids_are_404(posts: TestApp, path: str) -> None:
    _assert_error_shape(await posts.client.get(path), 404)


async def test_a_body_over_the_limit_is_413_and_nothing_is_written(tmp_path: Path) -> None:
    async with running_app(tmp_path / "d", body_limit=1024) as app:
        await app.login()
        body = {"name": "posts", "createRule": "", "fields": [{"name": "title", "type": "text"}]}
        assert (
            await app.client.post("/api/collections", headers=app.su(), json=body)
        ).status_code == 200
        resp = await app.client.post(POSTS, json={"title": "x" * 5000})
        _assert_error_shape(resp, 413)
        listed = await app.client.get(POSTS, headers=app.su())
        assert listed.json()["totalItems"] == 0


async def test_a_query_past_the_time_limit_is_stopped_with_400(tmp_path: Path) -> None:
    """Row R12: a filter that would run long is interrupted and answered in PocketBase's error
    shape; with a zero limit any scan longer than SQLite's check interval is stopped."""
    async with running_app(tmp_path / "br_data", query_timeout=0.0) as app:
        await app.login()
        body = {"name": "big", "listRule": "", "fields": [{"name": "t", "type": "text"}]}
        assert (await app.client.post("/api/collections", headers=app.su(), json=body)).is_success
        for i in range(300):
            created = await app.client.post(
                "/api/collections/big/records", headers=app.su(), json={"t": f"row {i}"}
            )
            assert created.is_success
        quadratic = "@collection.big.t ?~ t"  # every row against every row
        slow = await app.client.get(
            "/api/collections/big/records", headers=app.su(), params={"filter": quadratic}
        )
        health = await app.client.get("/api/health")
    assert slow.status_code == 400
    assert slow.json() == {
        "status": 400,
        "message": "The request took too long to process; narrow the filter.",
        "data": {},
    }
    assert health.status_code == 200


PROBES: list[tuple[dict[str, str], str]] = [
    ({"filter": "password ~ 'a'"}, "R3: the password cannot be filtered"),
    ({"filter": "tokenKey ~ 'x'"}, "R3: the token key cannot be filtered"),
    ({"filter": "@collection.users.password ~ 'a'"}, "R3: nor through @collection"),
    ({"sort": "password"}, "R4: the password cannot be sorted by"),
    ({"sort": "-tokenKey"}, "R4: the token key cannot be sorted by"),
    ({"sort": "x" * 256}, "R4: a 256-character sort field"),
]


@pytest.mark.parametrize(("params", "why"), PROBES, ids=[w for _, w in PROBES])
async def test_secrets_cannot_be_probed_through_filter_or_sort(
    app: TestApp, params: dict[str, str], why: str
) -> None:
    resp = await app.client.get("/api/collections/users/records", params=params)
    _assert_error_shape(resp, 403 if "@collection" in params.get("filter", "") else 400)


async def test_hidden_fields_never_reach_the_json(app: TestApp) -> None:
    """Row R5: fields=*,password,tokenKey,email returns none of them to another user."""
    body = {"email": "h@example.com", "password": "s3cret-pw-1", "passwordConfirm": "s3cret-pw-1"}
    created = await app.client.post("/api/collections/users/records", json=body)
    assert created.is_success
    rid = created.json()["id"]
    resp = await app.client.get(
        f"/api/collections/users/records/{rid}",
        headers=app.su(),
        params={"fields": "*,password,tokenKey,email"},
    )
    assert "password" not in resp.json()
    assert "tokenKey" not in resp.json()


async def test_a_pathological_form_content_type_is_answered_quickly(posts: TestApp) -> None:
    """Row R13: a 10 kB content-type with open quotes and backslashes parses in linear time."""
    ctype = 'application/x-www-form-urlencoded; !="' + "\\" * 10_000
    resp = await posts.client.post(POSTS, content=b"title=x", headers={"Content-Type": ctype})
    assert resp.status_code in (200, 400)
    if resp.status_code == 400:
        _assert_error_shape(resp, 400)


async def test_invalid_utf8_is_a_400(posts: TestApp) -> None:
    """Row R14: bytes that are not UTF-8 get PocketBase's error shape, no decoder text."""
    before = await _snapshot(posts)
    resp = await posts.client.post(
        POSTS, content=b'{"title": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    _assert_error_shape(resp, 400)
    assert await _snapshot(posts) == before
