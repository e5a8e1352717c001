"""The broker of a single process: a publish reaches this process's listeners only."""

from __future__ import annotations

import logging
from collections import defaultdict

from backroom.core.ports import BrokerHandler

__all__ = ["InProcessBroker"]

log = logging.getLogger("backroom.broker")


class InProcessBroker:
    def __init__(self) -> None:
        self._handlers: defaultdict[str, list[BrokerHandler]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def publish(self, channel: str, payload: bytes) -> None:
        self.deliver(channel, payload)

    def deliver(self, channel: str, payload: bytes) -> None:
        """Hand ``payload`` to this process's listeners; one failing listener does not stop
        the others."""
        for handler in self._handlers.get(channel, ()):
            try:
                handler(payload)
            except Exception:
                log.exception("broker listener on %r failed", channel)

    def listen(self, channel: str, handler: BrokerHandler) -> None:
        self._handlers[channel].append(handler)

    async def close(self) -> None:
        self._handlers.clear()
