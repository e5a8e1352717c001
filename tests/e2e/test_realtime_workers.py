"""Realtime under ``backroom serve --workers 2``: the SDK's subscription request and its
writes land on whichever worker accepts the connection, and every subscriber still gets
every event, whichever worker holds its stream."""

from __future__ import annotations

import asyncio

import pytest
from _cluster import Conn, Server, connections_per_worker, owner_of

from backroom.testing.sse import SseStream, open_stream

pytestmark = pytest.mark.e2e


async def _streams_on_both(server: Server, each: int) -> dict[int, list[SseStream]]:
    """At least ``each`` open streams held by each of the two workers."""
    held: dict[int, list[SseStream]] = {}
    for _ in range(200):
        if len(held) == 2 and all(len(s) >= each for s in held.values()):
            return held
        stream = await open_stream("127.0.0.1", server.port)
        assert stream.status == 200
        assert stream.client_id
        port = stream._writer.get_extra_info("sockname")[1]
        worker = owner_of(server, port)
        assert worker is not None
        held.setdefault(worker, []).append(stream)
    raise AssertionError(f"streams reached only {sorted(held)}")


async def _titles(stream: SseStream, count: int) -> list[str]:
    out: list[str] = []
    async with asyncio.timeout(30):
        while len(out) < count:
            event = await stream.next()
            assert event is not None, "the stream ended"
            out.append(str(event.json()["record"]["t"]))  # type: ignore[index]
    return out


def test_events_and_subscriptions_cross_workers(workers2: Server) -> None:
    su = {"Authorization": workers2.token()}
    conns = connections_per_worker(workers2, workers=2, each=1)
    assert len(conns) == 2
    by_worker: dict[int, Conn] = {pid: c[0] for pid, c in conns.items()}
    status, body = by_worker[min(by_worker)].request(
        "POST",
        "/api/collections",
        {
            "name": "notes",
            "listRule": "",
            "createRule": "",
            "fields": [{"name": "t", "type": "text"}],
        },
        su,
    )
    assert status == 200, body

    async def main() -> None:
        held = await _streams_on_both(workers2, each=2)
        streams = [s for group in held.values() for s in group]
        for owner, group in held.items():
            other = next(c for pid, c in by_worker.items() if pid != owner)
            for stream in group:
                # subscribed through the worker that does NOT hold the stream
                status, body = other.request(
                    "POST",
                    "/api/realtime",
                    {"clientId": stream.client_id, "subscriptions": ["notes/*"]},
                )
                assert status == 204, body
        # one write through each worker
        for i, conn in enumerate(by_worker.values()):
            status, body = conn.request("POST", "/api/collections/notes/records", {"t": str(i)})
            assert status == 200, body
        received = await asyncio.gather(*(_titles(s, 2) for s in streams))
        assert all(got == ["0", "1"] for got in received), received
        # a client no worker holds is unknown on both
        for conn in by_worker.values():
            status, _ = conn.request(
                "POST", "/api/realtime", {"clientId": "x" * 40, "subscriptions": ["notes/*"]}
            )
            assert status == 404
        # a client signed in through one worker cannot be taken over through the other
        owner, group = next(iter(held.items()))
        other = next(c for pid, c in by_worker.items() if pid != owner)
        stream = group[0]
        body = {"clientId": stream.client_id, "subscriptions": ["notes/*"]}
        assert other.request("POST", "/api/realtime", body, su)[0] == 204
        assert other.request("POST", "/api/realtime", body)[0] == 403
        for s in streams:
            s.close()

    asyncio.run(main())
