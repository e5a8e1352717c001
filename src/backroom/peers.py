"""Every process of a deployment keeps the collections and the settings in memory; this keeps
those copies current when one process changes them.

The process that committed a change publishes it on the broker (a counted publish, so it
knows how many processes heard it) and waits, up to ``timeout``, until each of the others has
reloaded from the database and answered. Only then is the write answered, so a client that
gets the answer and goes on through any other worker or node finds the change in force there.

A process that loses the broker's connection missed changes it cannot know of, and its own
changes may not have reached the others; once connected again it reloads everything and has
every other process do the same. A process joining later connects to the broker first and loads
from the database after, so no change falls between the two.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from backroom.core.ports import Broker

__all__ = ["ACK", "CHANGED", "BrokerPeers"]

log = logging.getLogger("backroom.peers")

CHANGED = "backroom.changed"
ACK = "backroom.changed.ack"

Reload = Callable[[], Awaitable[None]]


class _Wait:
    def __init__(self) -> None:
        self.need: int | None = None
        self.acked: set[str] = set()
        self.done = asyncio.Event()

    def check(self) -> None:
        if self.need is not None and len(self.acked) >= self.need:
            self.done.set()


class BrokerPeers:
    def __init__(self, broker: Broker, timeout: float = 3.0) -> None:
        self.node = uuid.uuid4().hex
        self._broker = broker
        self._timeout = timeout
        self._reloads: dict[str, Reload] = {}
        self._waiting: dict[str, _Wait] = {}
        self._pending: dict[str, list[str]] = {}  # what -> tokens to answer once reloaded
        self._running: dict[str, asyncio.Task[None]] = {}
        self._notices: set[asyncio.Task[None]] = set()
        broker.listen(CHANGED, self._on_changed)
        broker.listen(ACK, self._on_ack)
        broker.on_reconnect(self._on_reconnect)

    def reloads(self, what: str, reload: Reload) -> None:
        """``reload`` brings this process's copy of ``what`` up to date from the database."""
        self._reloads[what] = reload

    async def changed(self, what: str) -> None:
        token = uuid.uuid4().hex
        wait = self._waiting[token] = _Wait()
        message = orjson.dumps({"what": what, "token": token, "node": self.node})
        try:
            reached = await self._broker.publish_counted(CHANGED, message)
            wait.need = reached - 1
            wait.check()
            await asyncio.wait_for(wait.done.wait(), self._timeout)
        except TimeoutError:
            log.warning(
                "only %d of %s other processes reloaded %s within %.1fs",
                len(wait.acked),
                wait.need,
                what,
                self._timeout,
            )
        except Exception:
            log.exception("could not tell the other processes that %s changed", what)
        finally:
            del self._waiting[token]

    def _on_changed(self, payload: bytes) -> None:
        msg: dict[str, Any] = orjson.loads(payload)
        if msg.get("node") == self.node:
            return
        self._schedule(str(msg.get("what")), str(msg.get("token") or "") or None)

    def _on_ack(self, payload: bytes) -> None:
        msg: dict[str, Any] = orjson.loads(payload)
        wait = self._waiting.get(str(msg.get("token")))
        if wait is not None:
            wait.acked.add(str(msg.get("node")))
            wait.check()

    def _on_reconnect(self) -> None:
        """Messages were lost, either way: reload here, and have every other process reload
        too, in case it missed a change made here."""
        loop = asyncio.get_running_loop()
        for what in self._reloads:
            self._schedule(what, None)
            message = orjson.dumps({"what": what, "token": "", "node": self.node})
            task = loop.create_task(self._broker.publish(CHANGED, message))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    def _schedule(self, what: str, token: str | None) -> None:
        tokens = self._pending.setdefault(what, [])
        if token is not None:
            tokens.append(token)
        if what not in self._running:
            task = asyncio.get_running_loop().create_task(self._reload(what))
            self._running[what] = task

    async def _reload(self, what: str) -> None:
        """Reload until no change of ``what`` is left unanswered: a change heard while a
        reload runs may have been committed after that reload read, so it gets another."""
        try:
            while what in self._pending:
                tokens = self._pending.pop(what)
                reload = self._reloads.get(what)
                if reload is not None:
                    try:
                        await reload()
                    except Exception:
                        log.exception("reloading %s failed", what)
                        continue
                for token in tokens:
                    await self._broker.publish(
                        ACK, orjson.dumps({"token": token, "node": self.node})
                    )
        finally:
            del self._running[what]

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        self._pending.clear()
