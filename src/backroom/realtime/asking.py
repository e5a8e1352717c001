"""Questions for whichever process can answer them, over the broker.

With several workers or nodes, a request may reach a process that cannot serve it alone: the
realtime client it names holds its stream in another process. ``Questions`` publishes the
question on a shared channel with this process's own reply channel and a nonce; the process
that can answer replies there, the others stay silent, and the asker takes the reply, or
nothing once the timeout passes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from backroom.core.ports import Broker

__all__ = ["Answer", "Questions"]

log = logging.getLogger("backroom.realtime")

# what this process answers to a question, or None when it is not the one to answer
Answer = Callable[[dict[str, Any]], Awaitable[Any]]


class Questions:
    def __init__(self, broker: Broker, channel: str, answer: Answer, timeout: float = 1.0) -> None:
        self._broker = broker
        self._channel = channel
        self._answer = answer
        self._timeout = timeout
        self._node = secrets.token_hex(8)
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        broker.listen(channel, self._asked)
        broker.listen(f"{channel}.{self._node}", self._answered)

    async def ask(self, question: dict[str, Any]) -> Any:
        """The answer of the process that could answer, or None when none did in time. The
        asker has looked at home first: its own answer is never asked for."""
        nonce = secrets.token_hex(8)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[nonce] = answer
        payload = orjson.dumps({"q": question, "r": self._node, "n": nonce})
        try:
            if await self._broker.publish_counted(self._channel, payload) <= 1:
                return None  # no other process heard it (one process, or cut off)
            async with asyncio.timeout(self._timeout):
                return await answer
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(nonce, None)

    def _asked(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            question, reply_to, nonce = dict(message["q"]), str(message["r"]), str(message["n"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("a malformed question on %s was ignored", self._channel)
            return
        if reply_to == self._node:
            return
        task = asyncio.get_running_loop().create_task(self._reply(question, reply_to, nonce))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, question: dict[str, Any], reply_to: str, nonce: str) -> None:
        try:
            result = await self._answer(question)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("a malformed question on %s was ignored", self._channel)
            return
        if result is not None:
            reply = orjson.dumps({"n": nonce, "a": result})
            await self._broker.publish(f"{self._channel}.{reply_to}", reply)

    def _answered(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            answer, result = self._waiting.get(str(message["n"])), message["a"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if answer is not None and not answer.done():
            answer.set_result(result)
