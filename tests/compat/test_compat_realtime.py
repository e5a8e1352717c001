"""Realtime, side by side with PocketBase: the SSE stream's head and frames, the events a
subscription receives (names, actions, records, hidden fields, ``fields`` and ``expand``
options, rule filtering) and the answers of ``POST /api/realtime``."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from _targets import Target, both, unique
from normalize import normalize

from backroom.testing.sse import SseEvent, SseStream, open_stream

pytestmark = pytest.mark.compat


def _port(t: Target) -> int:
    return int(urlsplit(str(t.client.base_url)).port or 80)


async def _open(t: Target) -> SseStream:
    return await open_stream("127.0.0.1", _port(t))


async def _collect(stream: SseStream, seconds: float) -> list[SseEvent]:
    out: list[SseEvent] = []
    try:
        async with asyncio.timeout(seconds):
            while (event := await stream.next()) is not None:
                out.append(event)
    except TimeoutError:
        pass
    return out


def _options(**query: str) -> str:
    return "?options=" + quote(json.dumps({"query": query, "headers": {}}))


def _shape(events: list[SseEvent], client_id: str) -> list[tuple[str, Any]]:
    assert all(e.id == client_id for e in events)
    return sorted(
        ((e.event, normalize(json.loads(e.data))) for e in events),
        key=lambda item: (item[0], json.dumps(item[1], sort_keys=True)),
    )


def test_the_stream_and_its_events_match_pocketbase(targets: tuple[Target, Target]) -> None:
    name = unique("rt_posts")
    both(
        targets,
        "POST",
        "/api/collections",
        json={
            "name": name,
            "listRule": "public = true",
            "viewRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "public", "type": "bool"},
                {"name": "secret", "type": "text", "hidden": True},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
            ],
        },
    )

    async def scenario(t: Target) -> tuple[SseStream, list[SseEvent], dict[str, str]]:
        stream = await _open(t)
        assert stream.status == 200
        topics = [
            f"{name}/*",
            f"{name}/*" + _options(fields="id,title"),
            f"{name}/*" + _options(expand="author", fields="title,expand.author.name"),
            name,
        ]
        r = t.client.post(
            "/api/realtime", json={"clientId": stream.client_id, "subscriptions": topics}
        )
        assert r.status_code == 204
        user = t.client.post(
            "/api/collections/users/records",
            headers=t.su(),
            json={
                "email": f"{name}@example.com",
                "password": "pw-123456",
                "name": "Ann",
                "passwordConfirm": "pw-123456",
            },
        ).json()
        rec = t.client.post(
            f"/api/collections/{name}/records",
            headers=t.su(),
            json={"title": "a", "public": True, "secret": "s", "author": user["id"]},
        ).json()
        t.client.post(f"/api/collections/{name}/records", headers=t.su(), json={"title": "hidden"})
        t.client.patch(
            f"/api/collections/{name}/records/{rec['id']}", headers=t.su(), json={"title": "b"}
        )
        t.client.delete(f"/api/collections/{name}/records/{rec['id']}", headers=t.su())
        events = await _collect(stream, 1.5)
        stream.close()
        return stream, events, stream.headers

    pb_stream, pb_events, pb_headers = asyncio.run(scenario(targets[0]))
    br_stream, br_events, br_headers = asyncio.run(scenario(targets[1]))
    for header in ("content-type", "cache-control", "x-accel-buffering"):
        assert br_headers.get(header) == pb_headers.get(header), header
    assert len(br_stream.client_id) == len(pb_stream.client_id) == 40
    assert _shape(br_events, br_stream.client_id) == _shape(pb_events, pb_stream.client_id)
    assert len(pb_events) == 12  # 4 subscriptions x (create, update, delete) of the public one


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"clientId": ""},
        {"clientId": "missing"},
        {"clientId": "x" * 256},
        {"clientId": "missing", "subscriptions": "posts"},
        {"clientId": "missing", "subscriptions": [1]},
        {"clientId": "missing", "subscriptions": ["a" * 2501]},
        {"clientId": "missing", "subscriptions": ["a"] * 1001},
    ],
    ids=lambda b: json.dumps(b)[:40],
)
def test_bad_subscription_requests_answer_like_pocketbase(
    targets: tuple[Target, Target], body: dict[str, Any]
) -> None:
    both(targets, "POST", "/api/realtime", auth=False, json=body)


def test_an_auth_change_on_a_subscription_is_refused_like_pocketbase(
    targets: tuple[Target, Target],
) -> None:
    async def scenario(t: Target) -> list[tuple[int, Any]]:
        stream = await _open(t)
        body = {"clientId": stream.client_id, "subscriptions": ["x/*"]}
        answers = []
        for headers in (t.su(), {}, {"Authorization": "not-a-token"}, t.su()):
            r = t.client.post("/api/realtime", json=body, headers=headers)
            answers.append((r.status_code, r.json() if r.content else None))
        stream.close()
        return answers

    pb = asyncio.run(scenario(targets[0]))
    br = asyncio.run(scenario(targets[1]))
    assert br == pb
    assert [status for status, _ in pb] == [204, 403, 403, 204]
