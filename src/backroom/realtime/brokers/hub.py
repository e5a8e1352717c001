"""The hub of ``backroom serve --workers N``: the serving main process owns it, each worker
connects to it over a Unix socket, and every publish is fanned out to every worker, the
publisher included, in the order the hub reads them.

It runs on its own thread and event loop, beside the server's process manager. A worker that
dies simply drops its connection; the one started in its place connects anew. A worker that
stops reading is disconnected once its backlog passes ``MAX_BACKLOG``, instead of growing the
hub's memory; it reconnects, and its reconnect listeners learn that it missed messages.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import cast

from backroom.realtime.brokers.frames import (
    COUNT,
    COUNTED,
    HEADER,
    HELLO,
    MAX_FRAME,
    PUBLISH,
    frame,
)

__all__ = ["MAX_BACKLOG", "BrokerHub"]

log = logging.getLogger("backroom.broker")

MAX_BACKLOG = 64 << 20  # bytes waiting to be written to one worker


class _Worker(asyncio.Protocol):
    def __init__(self, hub: BrokerHub) -> None:
        self._hub = hub
        self._buf = bytearray()
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)
        self.transport.write(frame(HELLO, b""))
        self._hub.workers.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._hub.workers.discard(self)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        run = -1  # start of a run of plain publishes, forwarded in one write
        while len(buf) - pos >= HEADER.size:
            size, kind = HEADER.unpack_from(buf, pos)
            end = pos + HEADER.size + size
            if size > MAX_FRAME or kind not in (PUBLISH, COUNTED):
                log.error("broker hub: bad frame from a worker; disconnecting it")
                self.abort()
                return
            if end > len(buf):
                break
            if kind == PUBLISH:
                if run < 0:
                    run = pos
            else:
                if run >= 0:
                    self._hub.fan_out(bytes(buf[run:pos]))
                    run = -1
                body = pos + HEADER.size
                request = bytes(buf[body : body + 4])
                reached = self._hub.fan_out(frame(PUBLISH, bytes(buf[body + 4 : end])))
                if self.transport is not None:
                    self.transport.write(frame(COUNT, request + reached.to_bytes(4, "big")))
            pos = end
        if run >= 0:
            self._hub.fan_out(bytes(buf[run:pos]))
        del buf[:pos]

    def send(self, data: bytes) -> bool:
        t = self.transport
        if t is None or t.is_closing():
            return False
        if t.get_write_buffer_size() > MAX_BACKLOG:
            log.error("broker hub: a worker stopped reading; disconnecting it")
            self.abort()
            return False
        t.write(data)
        return True

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self._hub.workers.discard(self)


class BrokerHub:
    """Serve the hub on a Unix socket in a fresh private directory until ``stop``."""

    def __init__(self) -> None:
        self.workers: set[_Worker] = set()
        self._dir = Path(tempfile.mkdtemp(prefix="backroom-"))
        self.path = self._dir / "broker.sock"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def fan_out(self, data: bytes) -> int:
        return sum(1 for w in list(self.workers) if w.send(data))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="br-broker-hub", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:
            self._error = err
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await self._loop.create_unix_server(lambda: _Worker(self), str(self.path))
        os.chmod(self.path, 0o600)
        self._ready.set()
        await self._stopping.wait()
        server.close()
        self._abort_all()
        await server.wait_closed()

    def disconnect_all(self) -> None:
        """Drop every worker's connection (from any thread); each connects again."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._abort_all)

    def _abort_all(self) -> None:
        for w in list(self.workers):
            w.abort()

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> BrokerHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
