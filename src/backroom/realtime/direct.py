"""Messages for one client whichever process holds its stream (the ``@oauth2`` redirect).

The request that carries the message may reach another process than the client's stream:
the message is tried here first, then asked for on the broker; the process holding the
client delivers it and answers on the asking process's own reply channel.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import orjson

from backroom.core.ports import Broker
from backroom.realtime.hub import RealtimeHub

__all__ = ["DirectMessages"]

log = logging.getLogger("backroom.realtime")

CHANNEL = "realtime.direct"


class DirectMessages:
    def __init__(self, hub: RealtimeHub, broker: Broker, timeout: float = 1.0) -> None:
        self._hub = hub
        self._broker = broker
        self._timeout = timeout
        self._node = secrets.token_hex(8)
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        broker.listen(CHANNEL, self._asked)
        broker.listen(f"{CHANNEL}.{self._node}", self._answered)

    async def send_once(self, client_id: str, topic: str, data: bytes) -> bool:
        """Send ``data`` as ``topic`` to the client subscribed to it, then end that
        subscription; False when no process holds such a client."""
        if self._hub.send_to(client_id, topic, data, once=True):
            return True
        if self._hub.clients.get(client_id) is not None:
            return False  # here, but not waiting for this topic
        nonce = secrets.token_hex(8)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = answer
        request = {"c": client_id, "t": topic, "d": data.decode(), "r": self._node, "n": nonce}
        try:
            await self._broker.publish(CHANNEL, orjson.dumps(request))
            async with asyncio.timeout(self._timeout):
                return await answer
        except TimeoutError:
            return False
        finally:
            self._waiting.pop(nonce, None)

    def _asked(self, payload: bytes) -> None:
        try:
            ask = orjson.loads(payload)
            if ask["r"] == self._node:
                return  # our own question: this process was tried first
            delivered = self._hub.send_to(ask["c"], ask["t"], ask["d"].encode(), once=True)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            log.warning("a malformed direct realtime message was ignored")
            return
        if delivered:
            reply = orjson.dumps({"n": ask["n"]})
            task = asyncio.get_running_loop().create_task(
                self._broker.publish(f"{CHANNEL}.{ask['r']}", reply)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _answered(self, payload: bytes) -> None:
        try:
            answer = self._waiting.get(orjson.loads(payload)["n"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if answer is not None and not answer.done():
            answer.set_result(True)
