"""A realtime stream read as cheaply as Python can, for the benchmarks' many subscribers.

Reading each event whole (``backroom.testing.sse``) costs this client about 33 µs per event:
at 40,000 events/s that is more than a core, and on a two-core machine the client would be
what saturates first. This listener only undoes the chunked framing and picks out each
event's ``"title":"<n>"`` (the number of the write that made it), stamping every event of one
read with the time of that read.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast

__all__ = ["Listener", "listen"]

_MARK = b'"title":"'
_CLIENT_ID = b'"clientId":"'


class Listener(asyncio.Protocol):
    def __init__(self, arrivals: list[tuple[int, float]]) -> None:
        self.arrivals = arrivals
        self.client_id: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._raw = bytearray()  # as received, not yet unframed
        self._text = bytearray()  # unframed event text, not yet scanned
        self._head = True
        self._chunked = False
        self._left = 0  # bytes still to come in the current chunk

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.client_id.done():
            self.client_id.set_exception(ConnectionError("the stream ended before PB_CONNECT"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        raw = self._raw
        raw += data
        if self._head:
            end = raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(raw[:end]).lower()
            if not head.startswith((b"http/1.1 200", b"http/1.0 200")):
                self.client_id.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self._chunked = b"transfer-encoding: chunked" in head
            del raw[: end + 4]
            self._head = False
        self._unframe()
        self._scan(now)

    def _unframe(self) -> None:
        raw, text = self._raw, self._text
        if not self._chunked:
            text += raw
            raw.clear()
            return
        pos, size = 0, len(raw)
        while pos < size:
            if self._left == 0:
                eol = raw.find(b"\r\n", pos)
                if eol < 0:
                    break
                line = raw[pos:eol]
                pos = eol + 2
                if line:  # else the line end after a chunk's data
                    self._left = int(line.split(b";")[0], 16)
                continue
            take = min(self._left, size - pos)
            text += raw[pos : pos + take]
            pos += take
            self._left -= take
        del raw[:pos]

    def _scan(self, now: float) -> None:
        text = self._text
        end = text.rfind(b"\n\n")
        if end < 0:
            return
        if not self.client_id.done():
            at = text.find(_CLIENT_ID)
            start = at + len(_CLIENT_ID)
            self.client_id.set_result(text[start : text.index(b'"', start)].decode())
        arrivals = self.arrivals
        at = text.find(_MARK, 0, end)
        while at >= 0:
            start = at + len(_MARK)
            stop = text.index(b'"', start)
            arrivals.append((int(text[start:stop]), now))
            at = text.find(_MARK, stop, end)
        del text[: end + 2]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def listen(host: str, port: int, arrivals: list[tuple[int, float]]) -> Listener:
    """Open ``GET /api/realtime`` and wait for its ``PB_CONNECT``; the listener's
    ``client_id`` is then known, and every event from here on is counted in ``arrivals``."""
    loop = asyncio.get_running_loop()
    _, listener = await loop.create_connection(lambda: Listener(arrivals), host, port)
    assert listener.transport is not None
    listener.transport.write(
        f"GET /api/realtime HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await listener.client_id
    return listener
