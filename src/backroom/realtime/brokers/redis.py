"""The broker of several nodes: Redis pub/sub (redis-py's asyncio client).

All of a deployment's messages travel on one Redis channel (``redis_channel``), each carrying
its Backroom channel inside (``base.encode_message``): one subscription per process, and one
order for everything a process publishes. Publishes are queued as they are called and sent by
one task, pipelined, so they reach Redis in call order.

Redis going away does not stop the server: while it is unreachable publishes are dropped
(at-most-once, as the port says), both connections are retried with backoff, and once the
subscription is back the reconnect listeners are told that messages were missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from backroom.realtime.brokers.base import Listeners, decode_message, encode_message

__all__ = ["RedisBroker", "RedisUnreachable"]

log = logging.getLogger("backroom.broker")

_BATCH = 512
_MAX_OUTBOX = 100_000
_MAX_RETRY_DELAY = 2.0
_START_TIMEOUT = 10.0
_ERRORS = (RedisError, OSError, TimeoutError)


class RedisUnreachable(Exception):
    """Redis did not answer when the server started."""


def _where(url: str) -> str:
    """The URL without its credentials, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


class RedisBroker(Listeners):
    def __init__(self, url: str, channel: str = "backroom") -> None:
        super().__init__()
        self._url = url
        self._channel = channel
        no_retry = Retry(NoBackoff(), 0)
        self._pub = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, retry=no_retry)
        self._sub = Redis.from_url(
            url, socket_connect_timeout=2, socket_keepalive=True, retry=no_retry
        )
        self._outbox: deque[tuple[bytes, asyncio.Future[int] | None]] = deque()
        self._wake = asyncio.Event()
        self._up = False
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._recovering: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            await self._pub.ping()
        except _ERRORS as err:
            raise RedisUnreachable(f"Redis at {_where(self._url)} does not answer: {err}") from err
        self._up = True
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._send()), loop.create_task(self._listen())]
        try:
            await asyncio.wait_for(self._subscribed.wait(), _START_TIMEOUT)
        except TimeoutError:
            await self.close()
            raise RedisUnreachable(f"could not subscribe on Redis at {_where(self._url)}") from None

    async def publish(self, channel: str, payload: bytes) -> None:
        if self._up and len(self._outbox) < _MAX_OUTBOX:
            self._outbox.append((encode_message(channel, payload), None))
            self._wake.set()

    async def publish_counted(self, channel: str, payload: bytes) -> int:
        if not self._up:
            return 0
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._outbox.append((encode_message(channel, payload), fut))
        self._wake.set()
        return await fut

    async def _send(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = [self._outbox.popleft() for _ in range(min(_BATCH, len(self._outbox)))]
                try:
                    pipe = self._pub.pipeline(transaction=False)
                    for data, _ in batch:
                        pipe.publish(self._channel, data)
                    reached = await pipe.execute()
                except _ERRORS as err:
                    _settle(batch, None)
                    self._publisher_down(err)
                    break
                _settle(batch, reached)

    def _publisher_down(self, err: BaseException) -> None:
        log.warning(
            "broker: Redis at %s unreachable (%s); dropping messages", _where(self._url), err
        )
        self._up = False
        _settle(list(self._outbox), None)
        self._outbox.clear()
        if self._recovering is None or self._recovering.done():
            self._recovering = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        delay = 0.05
        while True:
            await asyncio.sleep(delay)
            try:
                await self._pub.ping()
            except _ERRORS:
                delay = min(delay * 2, _MAX_RETRY_DELAY)
                continue
            log.warning("broker: Redis at %s answers again", _where(self._url))
            self._up = True
            self.reconnected()  # what this process published meanwhile was dropped
            return

    async def _listen(self) -> None:
        delay = 0.05
        while True:
            pubsub = self._sub.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg is None:
                        continue
                    if msg["type"] == "message":
                        self.deliver(*decode_message(msg["data"]))
                    elif msg["type"] == "subscribe":
                        delay = 0.05
                        self._connected()
            except _ERRORS as err:
                log.warning("broker: Redis subscription lost (%s); reconnecting", err)
            finally:
                with contextlib.suppress(*_ERRORS):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_DELAY)

    def _connected(self) -> None:
        if not self._subscribed.is_set():
            self._subscribed.set()
            return
        self.reconnected()

    async def close(self) -> None:
        for task in (*self._tasks, self._recovering):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []
        _settle(list(self._outbox), None)
        self._outbox.clear()
        for client in (self._pub, self._sub):
            with contextlib.suppress(*_ERRORS):
                await client.aclose()
        self.clear()


def _settle(
    batch: list[tuple[bytes, asyncio.Future[int] | None]], reached: list[object] | None
) -> None:
    for i, (_, fut) in enumerate(batch):
        if fut is not None and not fut.done():
            fut.set_result(0 if reached is None else int(reached[i]))  # type: ignore[call-overload]
