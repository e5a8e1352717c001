"""The broker of a single process: a publish reaches this process's listeners only."""

from __future__ import annotations

from backroom.realtime.brokers.base import Listeners

__all__ = ["InProcessBroker"]


class InProcessBroker(Listeners):
    async def start(self) -> None:
        return None

    async def publish(self, channel: str, payload: bytes) -> None:
        self.deliver(channel, payload)

    async def publish_counted(self, channel: str, payload: bytes) -> int:
        self.deliver(channel, payload)
        return 1

    async def close(self) -> None:
        self.clear()
