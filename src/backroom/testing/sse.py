"""A small realtime (SSE) client over a raw socket, for tests and benchmarks that hold many
streams open at once: ``GET /api/realtime``, then the events as they arrive."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import orjson

__all__ = ["SseEvent", "SseStream", "open_stream"]


@dataclass(frozen=True, slots=True)
class SseEvent:
    id: str
    event: str
    data: str

    def json(self) -> object:
        return orjson.loads(self.data)


class SseStream:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._chunked = False
        self._buffer = b""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.client_id = ""
        self.ended = False

    async def _start(self) -> None:
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.headers[name.strip().lower()] = value.strip()
        self._chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"

    async def _more(self) -> bool:
        if not self._chunked:
            data = await self._reader.read(65536)
            self._buffer += data
            return bool(data)
        size_line = await self._reader.readline()
        if not size_line:
            return False
        size = int(size_line.strip().split(b";")[0] or b"0", 16)
        if size == 0:
            return False
        self._buffer += await self._reader.readexactly(size)
        await self._reader.readexactly(2)
        return True

    async def next(self) -> SseEvent | None:
        """The next event, or None once the server has ended the stream."""
        while (end := self._buffer.find(b"\n\n")) < 0:
            try:
                more = await self._more()
            except (asyncio.IncompleteReadError, ConnectionError):
                more = False
            if not more:
                self.ended = True
                return None
        raw, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        fields = {"id": "", "event": "", "data": ""}
        for line in raw.decode().split("\n"):
            name, _, value = line.partition(":")
            if name in fields:
                fields[name] = value
        return SseEvent(fields["id"], fields["event"], fields["data"])

    async def read_body(self) -> bytes:
        """The rest of a non-stream answer (a 429, say)."""
        length = int(self.headers.get("content-length", "0") or 0)
        return await self._reader.readexactly(length) if length else b""

    def close(self) -> None:
        self._writer.close()


async def open_stream(host: str, port: int, *, pause_reading: bool = False) -> SseStream:
    """Connect and read the answer's head; on a 200 also the ``PB_CONNECT`` event, whose
    ``clientId`` is kept. ``pause_reading`` leaves the socket's receive buffer small, for a
    client that reads slowly."""
    limit = 4096 if pause_reading else 2**20
    reader, writer = await asyncio.open_connection(host, port, limit=limit)
    if pause_reading:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    writer.write(
        f"GET /api/realtime HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    stream = SseStream(reader, writer)
    await stream._start()
    if stream.status == 200:
        hello = await stream.next()
        if hello is not None and hello.event == "PB_CONNECT":
            stream.client_id = str(orjson.loads(hello.data)["clientId"])
    return stream
