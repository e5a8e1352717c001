"""The broker of one worker of ``backroom serve --workers N``: a connection to the main
process's hub (``hub.py``) over a Unix socket.

A publish is written to the socket at once, so publishes leave in the order they are called.
If the hub's connection drops, publishes are dropped (at-most-once) while the worker connects
again, and the reconnect listeners are told once it is back.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import cast

from backroom.realtime.brokers.base import Listeners, decode_message, encode_message
from backroom.realtime.brokers.frames import COUNT, COUNTED, HEADER, HELLO, PUBLISH, frame

__all__ = ["SocketBroker"]

log = logging.getLogger("backroom.broker")

_HELLO_TIMEOUT = 5.0
_COUNT_TIMEOUT = 5.0
_MAX_RETRY_DELAY = 1.0


class _Connection(asyncio.Protocol):
    def __init__(self, broker: SocketBroker, hello: asyncio.Future[None]) -> None:
        self._broker = broker
        self._hello = hello
        self._buf = bytearray()

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        view = memoryview(buf)
        try:
            while len(buf) - pos >= HEADER.size:
                size, kind = HEADER.unpack_from(buf, pos)
                body = pos + HEADER.size
                end = body + size
                if end > len(buf):
                    break
                if kind == PUBLISH:
                    self._broker.deliver(*decode_message(view[body:end]))
                elif kind == COUNT:
                    request = int.from_bytes(view[body : body + 4], "big")
                    self._broker.counted(request, int.from_bytes(view[body + 4 : end], "big"))
                elif kind == HELLO and not self._hello.done():
                    self._hello.set_result(None)
                pos = end
        finally:
            view.release()
        del buf[:pos]

    def pause_writing(self) -> None:
        self._broker.writable.clear()

    def resume_writing(self) -> None:
        self._broker.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._broker.lost(self)


class SocketBroker(Listeners):
    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._transport: asyncio.WriteTransport | None = None
        self._protocol: _Connection | None = None
        self._requests = itertools.count(1)
        self._counts: dict[int, asyncio.Future[int]] = {}
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False
        self.writable = asyncio.Event()
        self.writable.set()

    async def start(self) -> None:
        await self._connect()

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        hello: asyncio.Future[None] = loop.create_future()
        transport, protocol = await loop.create_unix_connection(
            lambda: _Connection(self, hello), self._path
        )
        try:
            await asyncio.wait_for(hello, _HELLO_TIMEOUT)
        except BaseException:
            transport.abort()
            raise
        # uvloop's transports are not asyncio's classes, so no isinstance check
        self._transport, self._protocol = cast(asyncio.WriteTransport, transport), protocol
        self.writable.set()

    def lost(self, protocol: _Connection) -> None:
        if protocol is not self._protocol:
            return
        self._transport = self._protocol = None
        for fut in self._counts.values():
            if not fut.done():
                fut.set_result(0)
        if not self._closed:
            log.warning("broker: lost the hub's connection; reconnecting")
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.02
        while not self._closed:
            try:
                await self._connect()
            except (OSError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_DELAY)
                continue
            log.warning("broker: connected to the hub again")
            self.reconnected()
            return

    async def publish(self, channel: str, payload: bytes) -> None:
        t = self._transport
        if t is None:
            return
        t.write(frame(PUBLISH, encode_message(channel, payload)))
        if not self.writable.is_set():
            await self.writable.wait()

    async def publish_counted(self, channel: str, payload: bytes) -> int:
        t = self._transport
        if t is None:
            return 0
        request = next(self._requests) & 0xFFFFFFFF
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._counts[request] = fut
        t.write(frame(COUNTED, request.to_bytes(4, "big") + encode_message(channel, payload)))
        try:
            return await asyncio.wait_for(fut, _COUNT_TIMEOUT)
        except TimeoutError:
            return 0
        finally:
            self._counts.pop(request, None)

    def counted(self, request: int, reached: int) -> None:
        fut = self._counts.get(request)
        if fut is not None and not fut.done():
            fut.set_result(reached)

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._transport is not None:
            self._transport.close()
        self._transport = self._protocol = None
        self.clear()
