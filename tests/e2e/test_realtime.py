"""Realtime over real TCP against ``backroom serve``: many subscribers, a slow one, the caps
(row L4), the idle timeout, and the streams closed at SIGTERM (row G1)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path

import httpx
import pytest
from _server import Server, backroom_server

from backroom.testing.sse import SseStream, open_stream

pytestmark = pytest.mark.e2e


async def _notes(http: httpx.AsyncClient, server: Server, extra: list[dict[str, object]]) -> None:
    r = await http.post(
        "/api/collections",
        headers=server.su(),
        json={
            "name": "notes",
            "listRule": "",
            "createRule": "",
            "fields": [{"name": "t", "type": "text"}, *extra],
        },
    )
    assert r.status_code == 200, r.text


async def _subscribe(http: httpx.AsyncClient, stream: SseStream, *topics: str) -> None:
    r = await http.post(
        "/api/realtime", json={"clientId": stream.client_id, "subscriptions": list(topics)}
    )
    assert r.status_code == 204, r.text


async def _events(stream: SseStream, count: int, timeout: float) -> list[str]:
    out: list[str] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            event = await stream.next()
            if event is None:
                break
            out.append(str(event.json()["record"]["t"]))  # type: ignore[index]
    return out


def test_a_thousand_subscribers_each_receive_every_event(tmp_path: Path) -> None:
    async def main(server: Server) -> None:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            await _notes(http, server, [])
            streams = []
            for start in range(0, 1000, 100):
                streams += await asyncio.gather(
                    *(open_stream("127.0.0.1", server.port) for _ in range(start, start + 100))
                )
            assert all(s.status == 200 and s.client_id for s in streams)
            for start in range(0, 1000, 100):
                await asyncio.gather(
                    *(_subscribe(http, s, "notes/*") for s in streams[start:][:100])
                )
            for i in range(5):
                r = await http.post("/api/collections/notes/records", json={"t": str(i)})
                assert r.status_code == 200
            received = await asyncio.gather(*(_events(s, 5, 60) for s in streams))
            assert all(got == ["0", "1", "2", "3", "4"] for got in received)
            for s in streams:
                s.close()

    with backroom_server(tmp_path / "d", realtime_max_clients_per_ip="2000") as server:
        asyncio.run(main(server))


def test_a_slow_subscriber_is_dropped_without_holding_up_the_others(tmp_path: Path) -> None:
    async def main(server: Server) -> None:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            await _notes(http, server, [{"name": "pad", "type": "text", "max": 100000}])
            slow = await open_stream("127.0.0.1", server.port, pause_reading=True)
            fast = [await open_stream("127.0.0.1", server.port) for _ in range(3)]
            for s in [slow, *fast]:
                await _subscribe(http, s, "notes/*")
            pad = "x" * 20_000
            began = time.monotonic()
            readers = [asyncio.create_task(_events(s, 500, 60)) for s in fast]
            for i in range(500):
                r = await http.post(
                    "/api/collections/notes/records", json={"t": str(i), "pad": pad}
                )
                assert r.status_code == 200
            received = await asyncio.gather(*readers)
            assert all(got == [str(i) for i in range(500)] for got in received), [
                len(g) for g in received
            ]
            assert time.monotonic() - began < 30
            # the slow one was dropped: once it reads, it finds only what was under way
            leftover = 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3):
                    while await slow.next() is not None:
                        leftover += 1
            assert leftover < 500
            for s in [slow, *fast]:
                s.close()

    with backroom_server(tmp_path / "d", realtime_queue="100") as server:
        asyncio.run(main(server))


def test_connections_past_the_caps_get_429(tmp_path: Path) -> None:
    async def main(server: Server) -> None:
        streams = [await open_stream("127.0.0.1", server.port) for _ in range(3)]
        assert all(s.status == 200 for s in streams)
        refused = await open_stream("127.0.0.1", server.port)
        assert refused.status == 429
        assert refused.headers.get("retry-after")
        body = await refused.read_body()
        assert b'"status":429' in body
        refused.close()
        streams[0].close()
        async with asyncio.timeout(10):
            while True:  # the server notices the closed stream, and makes room
                again = await open_stream("127.0.0.1", server.port)
                if again.status == 200:
                    again.close()
                    break
                again.close()
                await asyncio.sleep(0.05)
        for s in streams[1:]:
            s.close()

    with backroom_server(tmp_path / "d", realtime_max_clients_per_ip="3") as server:
        asyncio.run(main(server))


def test_an_idle_stream_is_closed_after_the_idle_timeout(tmp_path: Path) -> None:
    async def main(server: Server) -> None:
        stream = await open_stream("127.0.0.1", server.port)
        began = time.monotonic()
        async with asyncio.timeout(10):
            assert await stream.next() is None
        assert 0.9 < time.monotonic() - began < 5
        stream.close()

    with backroom_server(tmp_path / "d", realtime_idle_timeout="1") as server:
        asyncio.run(main(server))


def test_sigterm_closes_every_stream_and_the_server_exits_promptly(tmp_path: Path) -> None:
    async def main(server: Server) -> float:
        streams = await asyncio.gather(*(open_stream("127.0.0.1", server.port) for _ in range(200)))
        assert all(s.status == 200 for s in streams)
        began = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            for s in streams:
                assert await s.next() is None
        for s in streams:
            s.close()
        return began

    with backroom_server(tmp_path / "d") as server:
        began = asyncio.run(main(server))
        assert server.proc.wait(timeout=10) == 0
        assert time.monotonic() - began < 5


def test_a_subscriber_that_never_reads_delays_the_exit_by_the_grace_period_at_most(
    tmp_path: Path,
) -> None:
    async def main(server: Server) -> float:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            await _notes(http, server, [{"name": "pad", "type": "text", "max": 100000}])
            stuck = await open_stream("127.0.0.1", server.port, pause_reading=True)
            await _subscribe(http, stuck, "notes/*")
            for i in range(200):
                r = await http.post(
                    "/api/collections/notes/records", json={"t": str(i), "pad": "x" * 50_000}
                )
                assert r.status_code == 200
            began = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            while server.proc.poll() is None and time.monotonic() - began < 20:
                await asyncio.sleep(0.1)
            stuck.close()
            return time.monotonic() - began

    with backroom_server(tmp_path / "d", realtime_queue="20") as server:
        waited = asyncio.run(main(server))
        assert server.proc.wait(timeout=5) == 0
        assert waited < 12, "ten seconds of grace, then the worker is stopped"


def test_past_a_thousand_open_streams_the_api_still_answers(tmp_path: Path) -> None:
    async def main(server: Server) -> None:
        streams = []
        for _ in range(12):
            streams += await asyncio.gather(
                *(open_stream("127.0.0.1", server.port) for _ in range(100))
            )
        assert {s.status for s in streams} == {200}
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
            r = await http.get("/api/health")
            assert r.status_code == 200
        for s in streams:
            s.close()

    with backroom_server(tmp_path / "d", realtime_max_clients_per_ip="5000") as server:
        asyncio.run(asyncio.wait_for(main(server), 60))
