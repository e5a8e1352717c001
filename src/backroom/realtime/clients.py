"""Connected realtime clients: their auth, their subscriptions and their bounded queues."""

from __future__ import annotations

import asyncio
import secrets
import string
from collections import deque
from collections.abc import Iterable, Iterator

from backroom.core.context import AuthInfo
from backroom.errors import TooManyRequestsError, UnavailableError
from backroom.realtime.topics import Subscription

__all__ = ["ClientRegistry", "RealtimeClient", "sse_frame", "sse_prefix"]

_ALPHABET = string.ascii_letters + string.digits


def _client_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


def sse_prefix(client_id: str, event: str) -> bytes:
    """What comes before the data in every message of one client and event name."""
    return b"".join((b"id:", client_id.encode(), b"\nevent:", event.encode(), b"\ndata:"))


def sse_frame(client_id: str, event: str, data: bytes) -> bytes:
    return sse_prefix(client_id, event) + data + b"\n\n"


class RealtimeClient:
    """One open ``GET /api/realtime`` stream. Messages wait in a queue of at most
    ``max_queue`` frames; a client that lets it fill up is disconnected rather than
    slowing the others or holding more memory."""

    def __init__(self, ip: str, max_queue: int) -> None:
        self.id = _client_id()
        self.ip = ip
        self.auth: AuthInfo | None = None
        self.subscriptions: dict[str, Subscription] = {}
        self.closed = False
        self.close_reason = ""
        # (prefix, data) pairs: one event's data is shared by every client it goes to
        self._frames: deque[tuple[bytes, bytes]] = deque()
        self._max_queue = max_queue
        # the stream's writer waits on a bare future: this is paid per message per client
        self._waiter: asyncio.Future[None] | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_sent = 0.0

    def push(self, prefix: bytes, data: bytes) -> None:
        """Queue one message: ``prefix`` from ``sse_prefix``, then ``data``."""
        if self.closed:
            return
        if len(self._frames) >= self._max_queue:
            self.close("slow")
            return
        self._frames.append((prefix, data))
        self._wake()

    def close(self, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self.close_reason = reason
            self._frames.clear()
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> bytes:
        """Every queued frame, joined: one write for a burst."""
        parts: list[bytes] = []
        for prefix, data in self._frames:
            parts += (prefix, data, b"\n\n")
        self._frames.clear()
        if self._loop is not None:
            self._last_sent = self._loop.time()
        return b"".join(parts)

    def close_when_idle(self, timeout: float) -> None:
        """Close the stream once it has sent nothing for ``timeout`` seconds. One timer per
        client, moved on only when it fires: sending a message costs no timer work."""
        loop = self._loop = asyncio.get_running_loop()
        self._last_sent = loop.time()

        def check() -> None:
            due = self._last_sent + timeout
            if self.closed:
                return
            if loop.time() >= due:
                self.close("idle")
            else:
                self._idle_timer = loop.call_at(due, check)

        self._idle_timer = loop.call_at(self._last_sent + timeout, check)

    async def wait(self) -> None:
        """Wait until there are frames to send or the client is closed."""
        if self._frames or self.closed:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None


class ClientRegistry:
    """Every client of this process, with caps on connections in total and per address."""

    def __init__(self, max_clients: int, max_per_ip: int, max_queue: int) -> None:
        self.max_clients = max_clients
        self.max_per_ip = max_per_ip
        self.max_queue = max_queue
        self._clients: dict[str, RealtimeClient] = {}
        self._per_ip: dict[str, int] = {}
        self.closing = False

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[RealtimeClient]:
        return iter(list(self._clients.values()))

    def get(self, client_id: str) -> RealtimeClient | None:
        return self._clients.get(client_id)

    def connect(self, ip: str) -> RealtimeClient:
        if self.closing:
            raise UnavailableError("The server is shutting down.")
        if len(self._clients) >= self.max_clients:
            raise TooManyRequestsError("Too many realtime connections.", retry_after=5)
        if self._per_ip.get(ip, 0) >= self.max_per_ip:
            raise TooManyRequestsError(
                "Too many realtime connections from this address.", retry_after=5
            )
        client = RealtimeClient(ip, self.max_queue)
        self._clients[client.id] = client
        self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
        return client

    def disconnect(self, client: RealtimeClient) -> None:
        if self._clients.pop(client.id, None) is None:
            return
        left = self._per_ip.get(client.ip, 1) - 1
        if left:
            self._per_ip[client.ip] = left
        else:
            self._per_ip.pop(client.ip, None)

    def close_all(self, reason: str, clients: Iterable[RealtimeClient] | None = None) -> None:
        for client in clients if clients is not None else list(self._clients.values()):
            client.close(reason)
