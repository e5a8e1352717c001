"""Subscriptions set through another process than the one holding the client's stream.

With several workers or nodes, the SDK's ``POST /api/realtime`` travels on its own connection
and may reach a process that does not hold the client's stream. That process asks on the
broker; the one holding the client authenticates the request's token itself, applies the
subscriptions exactly as a local request would, and answers with the status on the asking
process's own reply channel. Nobody answering within the timeout means no such client (404).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

import orjson

from backroom.core.context import AuthInfo
from backroom.core.ports import Broker
from backroom.realtime.hub import RealtimeHub

__all__ = ["FORBIDDEN", "NOT_FOUND", "SUBSCRIBED", "RemoteSubscriptions", "same_auth"]

log = logging.getLogger("backroom.realtime")

CHANNEL = "realtime.subscribe"
SUBSCRIBED, FORBIDDEN, NOT_FOUND = 204, 403, 404

Authenticate = Callable[[str], Awaitable[AuthInfo | None]]


def same_auth(old: AuthInfo | None, new: AuthInfo | None) -> bool:
    """PocketBase refuses to change who a client is once it has signed in."""
    if old is None:
        return True
    return new is not None and (new.collection_id, new.id) == (old.collection_id, old.id)


class RemoteSubscriptions:
    def __init__(
        self, hub: RealtimeHub, broker: Broker, authenticate: Authenticate, timeout: float = 1.0
    ) -> None:
        self._hub = hub
        self._broker = broker
        self._authenticate = authenticate
        self._timeout = timeout
        self._node = secrets.token_hex(8)
        self._waiting: dict[str, asyncio.Future[int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        broker.listen(CHANNEL, self._asked)
        broker.listen(f"{CHANNEL}.{self._node}", self._answered)

    async def subscribe(self, client_id: str, token: str, subscriptions: list[str]) -> int:
        """Set the subscriptions of a client held by another process; its HTTP status."""
        nonce = secrets.token_hex(8)
        answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = answer
        ask = {"c": client_id, "k": token, "s": subscriptions, "r": self._node, "n": nonce}
        try:
            if await self._broker.publish_counted(CHANNEL, orjson.dumps(ask)) <= 1:
                return NOT_FOUND  # no other process heard it (one process, or cut off)
            async with asyncio.timeout(self._timeout):
                return await answer
        except TimeoutError:
            return NOT_FOUND
        finally:
            self._waiting.pop(nonce, None)

    def _asked(self, payload: bytes) -> None:
        try:
            ask = orjson.loads(payload)
            client_id, reply_to = str(ask["c"]), str(ask["r"])
            token, subscriptions, nonce = str(ask["k"]), list(ask["s"]), str(ask["n"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("a malformed realtime subscription message was ignored")
            return
        if reply_to == self._node or self._hub.clients.get(client_id) is None:
            return  # asked by this process, or not held here: another process answers
        task = asyncio.get_running_loop().create_task(
            self._apply(client_id, token, [str(s) for s in subscriptions], reply_to, nonce)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(
        self, client_id: str, token: str, subscriptions: list[str], reply_to: str, nonce: str
    ) -> None:
        auth = await self._authenticate(token) if token else None
        client = self._hub.clients.get(client_id)
        if client is None or client.closed:
            status = NOT_FOUND
        elif not same_auth(client.auth, auth):
            status = FORBIDDEN
        else:
            self._hub.subscribe(client, auth, subscriptions)
            status = SUBSCRIBED
        reply = orjson.dumps({"n": nonce, "s": status})
        await self._broker.publish(f"{CHANNEL}.{reply_to}", reply)

    def _answered(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            answer = self._waiting.get(str(message["n"]))
            status = int(message["s"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return
        if answer is not None and not answer.done():
            answer.set_result(status)
