"""A graceful drain against ``backroom serve`` (row G1): 500 realtime streams and a write
load, then SIGTERM. The server takes no new connections and whatever still asks for its health
gets 503, the streams close, writes in flight finish or fail (never a 2xx that is then lost)
and the process exits 0 within the grace period."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from _server import Server, backroom_server

from backroom.cli.main import SHUTDOWN_GRACE
from backroom.testing.sse import open_stream

pytestmark = pytest.mark.e2e

_BOUNDARY = "drainboundary"


def _upload_head(port: int, size: int) -> tuple[bytes, bytes]:
    """The head and body of a multipart create of one ``size``-byte file."""
    part = (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nin flight\r\n'
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = part + b"x" * size + f"\r\n--{_BOUNDARY}--\r\n".encode()
    head = (
        "POST /api/collections/docs/records HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={_BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


async def _writer(server: Server, name: str, acked: list[str], stop: asyncio.Event) -> None:
    """Create records one after another until the server stops answering; keep the titles
    of those answered 2xx."""
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        n = 0
        while not stop.is_set():
            title = f"{name}-{n}"
            try:
                r = await http.post("/api/collections/docs/records", json={"title": title})
            except httpx.TransportError:
                return
            if r.status_code != 200:
                assert r.status_code >= 500, r.text
                return
            acked.append(title)
            n += 1


async def _titles(base: str) -> set[str]:
    titles: set[str] = set()
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        page = 1
        while True:
            r = await http.get(
                "/api/collections/docs/records",
                params={"page": page, "perPage": 500, "skipTotal": 1, "fields": "title"},
            )
            items = r.json()["items"]
            titles |= {item["title"] for item in items}
            if len(items) < 500:
                return titles
            page += 1


async def _drain(server: Server, acked: list[str]) -> tuple[float, int, bytes]:
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        r = await http.post(
            "/api/collections",
            headers=server.su(),
            json={
                "name": "docs",
                "listRule": "",
                "viewRule": "",
                "createRule": "",
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "doc", "type": "file", "maxSize": 10 << 20},
                ],
            },
        )
        assert r.status_code == 200, r.text
        assert (await http.get("/api/health")).status_code == 200

        streams = await asyncio.gather(*(open_stream("127.0.0.1", server.port) for _ in range(500)))
        assert all(s.status == 200 for s in streams)
        stop = asyncio.Event()
        writers = [asyncio.create_task(_writer(server, f"w{i}", acked, stop)) for i in range(4)]
        while len(acked) < 20:  # the write load is under way
            await asyncio.sleep(0.01)
        head, body = _upload_head(server.port, 4 << 20)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(head + body[: len(body) // 2])
        await writer.drain()

        began = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            for s in streams:
                assert await s.next() is None
                s.close()
        # the streams close once the server drains: from then on a health check is refused
        # its connection, or answered 503 if it reaches the app; never 200
        try:
            r = await http.get("/api/health")
        except httpx.TransportError:
            pass
        else:
            assert r.status_code == 503

        writer.write(body[len(body) // 2 :])
        await writer.drain()
        answer = await reader.read()
        writer.close()
        stop.set()
        await asyncio.gather(*writers)
    return began, server.proc.wait(timeout=SHUTDOWN_GRACE + 5), answer


def test_sigterm_drains_health_streams_and_the_writes_in_flight(tmp_path: Path) -> None:
    data = tmp_path / "d"
    acked: list[str] = []
    with backroom_server(data) as server:
        began, code, answer = asyncio.run(_drain(server, acked))
        assert code == 0
        assert time.monotonic() - began < SHUTDOWN_GRACE + 1
    status = int(answer.split(b" ", 2)[1])
    assert status == 200 or status >= 500, answer[:200]
    # after a restart every write answered 2xx is there; the upload exactly when it was
    with backroom_server(data) as server:
        titles = asyncio.run(_titles(server.base))
        assert set(acked) <= titles
        assert ("in flight" in titles) == (status == 200)
        if status == 200:
            r = httpx.get(
                f"{server.base}/api/collections/docs/records", params={"filter": "doc != ''"}
            )
            item = r.json()["items"][0]
            f = httpx.get(f"{server.base}/api/files/docs/{item['id']}/{item['doc']}")
            assert len(f.content) == 4 << 20
