"""Realtime delivery inside one app: who receives which event, with what in it (rows R5, R7,
R8, A1, A3), commit order, rollbacks, grouping and the bounded queues. Writes go through the
HTTP API; subscribers are the hub's clients, read directly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from backroom.realtime.clients import RealtimeClient
from backroom.testing import TestApp, running_app

PW = "password-123"


def events(client: RealtimeClient) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) of every frame queued for ``client``, and empty the queue."""
    raw = client.take().decode() if not client.closed else ""
    out = []
    for frame in raw.split("\n\n"):
        if not frame:
            continue
        lines = dict(line.split(":", 1) for line in frame.split("\n"))
        assert lines["id"] == client.id
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def titles(client: RealtimeClient) -> list[tuple[str, str]]:
    return [(data["action"], data["record"].get("title")) for _, data in events(client)]


def with_options(topic: str, query: dict[str, str], headers: dict[str, str] | None = None) -> str:
    options = json.dumps({"query": query, "headers": headers or {}})
    return f"{topic}?options={quote(options)}"


async def user(app: TestApp, email: str, name: str = "") -> tuple[str, str]:
    r = await app.client.post(
        "/api/collections/users/records",
        json={"email": email, "password": PW, "passwordConfirm": PW, "name": name},
    )
    assert r.status_code == 200, r.text
    r = await app.client.post(
        "/api/collections/users/auth-with-password", json={"identity": email, "password": PW}
    )
    return str(r.json()["record"]["id"]), str(r.json()["token"])


async def subscriber(app: TestApp, token: str | None, *topics: str) -> RealtimeClient:
    hub = app.backroom.realtime
    await hub.idle()  # earlier writes are not for this subscriber
    client = hub.connect("127.0.0.1")
    auth = await app.backroom.auth.authenticate(token) if token else None
    hub.subscribe(client, auth, topics)
    return client


async def settle(app: TestApp) -> None:
    await app.backroom.realtime.idle()


@pytest.fixture
async def app(tmp_path: Path) -> Any:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        r = await test_app.client.post(
            "/api/collections",
            headers=test_app.su(),
            json={
                "name": "posts",
                "listRule": "public = true || owner = @request.auth.id",
                "viewRule": "public = true || owner = @request.auth.id",
                "createRule": "",
                "updateRule": "owner = @request.auth.id",
                "deleteRule": "owner = @request.auth.id",
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "public", "type": "bool"},
                    {"name": "n", "type": "number"},
                    {"name": "secret", "type": "text", "hidden": True},
                    {
                        "name": "owner",
                        "type": "relation",
                        "collectionId": "_pb_users_auth_",
                        "maxSelect": 1,
                    },
                ],
            },
        )
        assert r.status_code == 200, r.text
        yield test_app


async def post(app: TestApp, token: str, **body: Any) -> dict[str, Any]:
    r = await app.client.post(
        "/api/collections/posts/records", headers={"Authorization": token}, json=body
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_list_subscribers_get_only_the_records_the_list_rule_shows_them(
    app: TestApp,
) -> None:
    u, ut = await user(app, "u@example.com")
    v, vt = await user(app, "v@example.com")
    guest = await subscriber(app, None, "posts/*")
    as_u = await subscriber(app, ut, "posts/*")
    as_v = await subscriber(app, vt, "posts/*")
    await post(app, ut, title="u public", public=True, owner=u)
    await post(app, vt, title="v private", public=False, owner=v, secret="s")
    await settle(app)
    assert titles(guest) == [("create", "u public")]
    assert titles(as_u) == [("create", "u public")]
    got = events(as_v)
    assert [(d["action"], d["record"]["title"]) for _, d in got] == [
        ("create", "u public"),
        ("create", "v private"),
    ]
    assert all("secret" not in d["record"] for _, d in got), "hidden fields never leave (R8)"


async def test_superusers_see_every_record_with_hidden_fields(app: TestApp) -> None:
    v, vt = await user(app, "v@example.com")
    su = await subscriber(app, app.superuser_token, "posts/*")
    await post(app, vt, title="private", owner=v, secret="s")
    await settle(app)
    [(name, data)] = events(su)
    assert name == "posts/*"
    assert data["record"]["secret"] == "s"


async def test_record_topics_use_the_view_rule_and_collection_topics_the_list_rule(
    app: TestApp,
) -> None:
    r = await app.client.patch(
        "/api/collections/posts", headers=app.su(), json={"listRule": None, "viewRule": ""}
    )
    assert r.status_code == 200
    u, ut = await user(app, "u@example.com")
    first = await post(app, ut, title="a", owner=u)
    by_id = await subscriber(app, None, f"posts/{first['id']}")
    by_collection_id = await subscriber(app, None, f"{first['collectionId']}/{first['id']}")
    listing = await subscriber(app, None, "posts/*", "posts")
    r = await app.client.patch(
        f"/api/collections/posts/records/{first['id']}",
        headers={"Authorization": ut},
        json={"title": "b"},
    )
    assert r.status_code == 200
    await post(app, ut, title="other", owner=u)
    await settle(app)
    assert titles(by_id) == [("update", "b")]
    assert titles(by_collection_id) == [("update", "b")]
    assert titles(listing) == [], "a locked list rule hides list events from non-superusers"


async def test_delete_events_carry_the_deleted_record_and_obey_the_rule(app: TestApp) -> None:
    u, ut = await user(app, "u@example.com")
    _, vt = await user(app, "v@example.com")
    as_u = await subscriber(app, ut, "posts/*")
    as_v = await subscriber(app, vt, "posts/*")
    mine = await post(app, ut, title="private", owner=u)
    r = await app.client.delete(
        f"/api/collections/posts/records/{mine['id']}", headers={"Authorization": ut}
    )
    assert r.status_code == 204
    await settle(app)
    assert titles(as_u) == [("create", "private"), ("delete", "private")]
    assert titles(as_v) == []


async def test_a_password_change_drops_the_streams_auth_at_once(app: TestApp) -> None:
    u, ut = await user(app, "u@example.com")
    as_u = await subscriber(app, ut, "posts/*")
    await post(app, ut, title="before", owner=u)
    r = await app.client.patch(
        f"/api/collections/users/records/{u}",
        headers={"Authorization": ut},
        json={"oldPassword": PW, "password": "password-456", "passwordConfirm": "password-456"},
    )
    assert r.status_code == 200, r.text
    await post(app, app.superuser_token, title="after, private", owner=u)
    await post(app, app.superuser_token, title="after, public", public=True)
    await settle(app)
    assert titles(as_u) == [("create", "before"), ("create", "after, public")]
    assert as_u.auth is None
    assert not as_u.closed


async def test_a_deleted_user_loses_the_streams_auth(app: TestApp) -> None:
    u, ut = await user(app, "u@example.com")
    as_u = await subscriber(app, ut, "posts/*")
    # ``owner = @request.auth.id`` holds for a guest on ownerless posts (PocketBase's rule
    # semantics), never for u: which of the two the stream is shows in what it receives
    await post(app, app.superuser_token, title="ownerless, before")
    r = await app.client.delete(f"/api/collections/users/records/{u}", headers=app.su())
    assert r.status_code == 204
    await post(app, app.superuser_token, title="ownerless, after")
    await settle(app)
    assert titles(as_u) == [("create", "ownerless, after")]
    assert as_u.auth is None
    assert not as_u.closed


async def test_other_changes_to_the_subscriber_refresh_what_its_rules_see(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/posts",
        headers=app.su(),
        json={"listRule": "@request.auth.name = 'editor'"},
    )
    assert r.status_code == 200
    u, ut = await user(app, "u@example.com")
    as_u = await subscriber(app, ut, "posts/*")
    await post(app, app.superuser_token, title="before")
    r = await app.client.patch(
        f"/api/collections/users/records/{u}",
        headers={"Authorization": ut},
        json={"name": "editor"},
    )
    assert r.status_code == 200
    await post(app, app.superuser_token, title="after")
    await settle(app)
    assert titles(as_u) == [("create", "after")]


async def test_expand_and_fields_options_apply_with_the_subscribers_auth(app: TestApp) -> None:
    u, ut = await user(app, "u@example.com", name="Ulla")
    _, vt = await user(app, "v@example.com")
    options = with_options("posts/*", {"expand": "owner", "fields": "title,expand.owner.name"})
    as_u = await subscriber(app, ut, options)
    as_v = await subscriber(app, vt, options)
    await post(app, ut, title="hello", public=True, owner=u)
    await settle(app)
    [(name, data)] = events(as_u)
    assert name == options
    assert data == {
        "action": "create",
        "record": {"title": "hello", "expand": {"owner": {"name": "Ulla"}}},
    }
    [(_, data)] = events(as_v)
    assert data["record"]["title"] == "hello"
    assert not data["record"].get("expand"), "users' viewRule hides u from v: no expand (R5)"


async def test_the_filter_and_headers_options_narrow_the_events(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/posts",
        headers=app.su(),
        json={"listRule": "@request.headers.x_team = 'red'"},
    )
    assert r.status_code == 200
    red = await subscriber(app, None, with_options("posts/*", {}, {"X-Team": "red"}))
    blue = await subscriber(app, None, with_options("posts/*", {}, {"X-Team": "blue"}))
    only_b = await subscriber(
        app, None, with_options("posts/*", {"filter": "title = 'b'"}, {"x-team": "red"})
    )
    sneaky = await subscriber(
        app,
        None,
        with_options("posts/*", {"filter": "@collection.users.email != ''"}, {"x-team": "red"}),
    )
    for title in ("a", "b"):
        await post(app, app.superuser_token, title=title)
    await settle(app)
    assert titles(red) == [("create", "a"), ("create", "b")]
    assert titles(blue) == []
    assert titles(only_b) == [("create", "b")]
    assert titles(sneaky) == [], "filters on @collection are for superusers"


async def test_a_rolled_back_write_sends_nothing(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/posts",
        headers=app.su(),
        json={"createRule": "title != 'forbidden'", "listRule": ""},
    )
    assert r.status_code == 200
    guest = await subscriber(app, None, "posts/*")
    r = await app.client.post("/api/collections/posts/records", json={"title": "forbidden"})
    assert r.status_code == 400
    r = await app.client.post("/api/collections/posts/records", json={"title": "fine"})
    assert r.status_code == 200
    await settle(app)
    assert titles(guest) == [("create", "fine")]


async def test_events_arrive_in_commit_order(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/posts", headers=app.su(), json={"listRule": "", "updateRule": ""}
    )
    assert r.status_code == 200
    record = await post(app, app.superuser_token, title="counter")
    guest = await subscriber(app, None, "posts/*")
    url = f"/api/collections/posts/records/{record['id']}"
    results = await asyncio.gather(*(app.client.patch(url, json={"n+": 1}) for _ in range(30)))
    assert all(r.status_code == 200 for r in results)
    await settle(app)
    seen = [data["record"]["n"] for _, data in events(guest)]
    assert seen == list(range(1, 31))


async def test_a_rule_is_checked_once_per_group_of_subscribers_sharing_its_context(
    app: TestApp,
) -> None:
    r = await app.client.patch(
        "/api/collections/posts", headers=app.su(), json={"listRule": "owner = @request.auth.id"}
    )
    assert r.status_code == 200
    u, ut = await user(app, "u@example.com")
    clients = [await subscriber(app, ut, "posts/*") for _ in range(40)]
    clients += [await subscriber(app, None, "posts/*") for _ in range(40)]
    audience = app.backroom.realtime._audience
    before = audience.rule_checks
    await post(app, ut, title="mine", owner=u)
    await settle(app)
    assert audience.rule_checks - before == 2, "one check for u's 40 streams, one for guests"
    assert all(titles(c) == [("create", "mine")] for c in clients[:40])
    assert all(titles(c) == [] for c in clients[40:])


async def test_a_client_that_falls_behind_is_disconnected_and_the_others_are_not(
    tmp_path: Path,
) -> None:
    async with running_app(tmp_path / "d", realtime_queue=3) as app:
        await app.login()
        r = await app.client.post(
            "/api/collections",
            headers=app.su(),
            json={
                "name": "notes",
                "listRule": "",
                "createRule": "",
                "fields": [{"name": "t", "type": "text"}],
            },
        )
        assert r.status_code == 200
        slow = await subscriber(app, None, "notes/*")
        fast = await subscriber(app, None, "notes/*")
        for i in range(5):
            r = await app.client.post("/api/collections/notes/records", json={"t": str(i)})
            assert r.status_code == 200
            await settle(app)
            assert len(events(fast)) == 1
        assert slow.closed
        assert slow.close_reason == "slow"
        assert not fast.closed


async def test_only_a_stream_that_sent_nothing_for_the_idle_timeout_is_closed() -> None:
    busy, quiet = RealtimeClient("127.0.0.1", 10), RealtimeClient("127.0.0.1", 10)
    busy.close_when_idle(0.5)
    quiet.close_when_idle(0.5)
    waiting = asyncio.create_task(quiet.wait())
    for _ in range(20):  # a message every 50 ms, for twice the timeout
        await asyncio.sleep(0.05)
        busy.push(b"p", b"d")
        await busy.wait()
        assert busy.take() == b"pd\n\n"
    assert not busy.closed
    assert quiet.closed
    assert quiet.close_reason == "idle"
    await asyncio.wait_for(waiting, 1)  # the closed stream's writer was woken
    busy.close("gone")


async def test_the_oauth2_redirect_reaches_the_waiting_client_once(app: TestApp) -> None:
    tab = await subscriber(app, None, "@oauth2")
    other = await subscriber(app, None, "posts/*")
    r = await app.client.get("/api/oauth2-redirect", params={"state": tab.id, "code": "abc"})
    assert r.status_code == 307
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-success"
    assert events(tab) == [("@oauth2", {"state": tab.id, "code": "abc"})]
    again = await app.client.get("/api/oauth2-redirect", params={"state": tab.id, "code": "x"})
    assert again.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
    r = await app.client.get("/api/oauth2-redirect", params={"state": other.id, "code": "abc"})
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
    assert events(other) == []
    errored = await subscriber(app, None, "@oauth2")
    r = await app.client.get(
        "/api/oauth2-redirect", params={"state": errored.id, "error": "access_denied"}
    )
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
    assert events(errored) == [
        ("@oauth2", {"state": errored.id, "code": "", "error": "access_denied"})
    ]


async def test_subscriptions_answer_204_404_and_403_like_pocketbase(app: TestApp) -> None:
    _, ut = await user(app, "u@example.com")
    _, vt = await user(app, "v@example.com")
    client = app.backroom.realtime.connect("127.0.0.1")
    body = {"clientId": client.id, "subscriptions": ["posts/*"]}
    r = await app.client.post("/api/realtime", json=body, headers={"Authorization": ut})
    assert r.status_code == 204
    assert client.auth is not None
    r = await app.client.post("/api/realtime", json=body, headers={"Authorization": vt})
    assert r.status_code == 403
    assert r.json()["message"] == "The current and the previous request authorization don't match."
    r = await app.client.post("/api/realtime", json=body)
    assert r.status_code == 403
    r = await app.client.post("/api/realtime", json={**body, "clientId": "x" * 40})
    assert r.status_code == 404
    assert r.json() == {"status": 404, "message": "Missing or invalid client id.", "data": {}}
    r = await app.client.post("/api/realtime", json={**body, "subscriptions": ["a"] * 1001})
    assert r.status_code == 400
    assert r.json()["data"]["subscriptions"]["code"] == "validation_length_too_long"


async def test_cascaded_deletes_and_unlinks_send_their_own_events(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/posts", headers=app.su(), json={"listRule": "", "deleteRule": ""}
    )
    assert r.status_code == 200
    posts_id = (await app.client.get("/api/collections/posts", headers=app.su())).json()["id"]
    r = await app.client.post(
        "/api/collections",
        headers=app.su(),
        json={
            "name": "comments",
            "listRule": "",
            "fields": [
                {"name": "text", "type": "text"},
                {
                    "name": "post",
                    "type": "relation",
                    "collectionId": posts_id,
                    "cascadeDelete": True,
                    "maxSelect": 1,
                },
            ],
        },
    )
    assert r.status_code == 200, r.text
    parent = await post(app, app.superuser_token, title="parent")
    r = await app.client.post(
        "/api/collections/comments/records",
        headers=app.su(),
        json={"text": "child", "post": parent["id"]},
    )
    assert r.status_code == 200
    child = r.json()["id"]
    guest = await subscriber(app, None, "posts/*", "comments/*")
    r = await app.client.delete(f"/api/collections/posts/records/{parent['id']}")
    assert r.status_code == 204
    await settle(app)
    got = [(name, data["action"], data["record"]["id"]) for name, data in events(guest)]
    assert got == [("comments/*", "delete", child), ("posts/*", "delete", parent["id"])]


async def test_an_event_that_fails_to_deliver_does_not_stop_the_ones_after_it(
    app: TestApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    audience = app.backroom.realtime._audience
    real_payload = audience.payload

    async def payload(c: Any, record: dict[str, Any], action: str, group: Any) -> bytes:
        if record.get("title") == "poison":
            raise RuntimeError("a broken record")
        return await real_payload(c, record, action, group)

    monkeypatch.setattr(audience, "payload", payload)
    _, ut = await user(app, "u@example.com")
    guest = await subscriber(app, None, "posts/*")
    for title in ("before", "poison", "after"):
        await post(app, ut, title=title, public=True)
    await settle(app)
    assert titles(guest) == [("create", "before"), ("create", "after")]
    assert "could not be delivered" in caplog.text
