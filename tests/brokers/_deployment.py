"""A deployment of one broker transport: each ``process()`` is one more connected broker, as
each process of a deployment would hold; and waiting on a condition."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from backroom.core.ports import Broker
from backroom.realtime.brokers.hub import BrokerHub
from backroom.realtime.brokers.memory import InProcessBroker
from backroom.realtime.brokers.redis import RedisBroker
from backroom.realtime.brokers.socket import SocketBroker


class Deployment:
    def __init__(self, kind: str, hub: BrokerHub | None = None, redis_url: str = "") -> None:
        self.kind = kind
        self.hub = hub
        self.redis_url = redis_url
        self.channel = f"backroom-test-{uuid.uuid4().hex}"
        self.brokers: list[Broker] = []

    def new(self) -> Broker:
        if self.kind == "in-process":
            return InProcessBroker()
        if self.kind == "socket hub":
            assert self.hub is not None
            return SocketBroker(str(self.hub.path))
        return RedisBroker(self.redis_url, self.channel)

    async def process(self) -> Broker:
        broker = self.new()
        await broker.start()
        self.brokers.append(broker)
        return broker

    async def close(self) -> None:
        for b in self.brokers:
            await b.close()


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``cond()`` holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
