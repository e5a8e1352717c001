"""The Redis broker rides out a Redis restart and refuses to start without Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from _deployment import until

from backroom.realtime.brokers.redis import RedisBroker, RedisUnreachable
from backroom.testing.redis import RedisServer


async def test_a_redis_restart_drops_messages_then_delivery_resumes() -> None:
    channel = f"t-{uuid.uuid4().hex}"
    with RedisServer() as server:
        a = RedisBroker(server.url, channel)
        b = RedisBroker(server.url, channel)
        await a.start()
        await b.start()
        try:
            got: list[bytes] = []
            told: list[str] = []
            b.listen("x", got.append)
            a.on_reconnect(lambda: told.append("a"))
            b.on_reconnect(lambda: told.append("b"))
            await a.publish("x", b"before")
            await until(lambda: got == [b"before"])
            server.stop()
            for i in range(50):  # nothing raises while Redis is away
                await a.publish("x", b"during %d" % i)
            assert await a.publish_counted("x", b"during") == 0
            server.start()
            await until(lambda: set(told) == {"a", "b"}, timeout=15)
            for _ in range(300):  # the publisher's own reconnect runs on its own backoff
                await a.publish("x", b"after")
                if b"after" in got:
                    break
                await asyncio.sleep(0.05)
            assert b"after" in got
            assert got[0] == b"before"
        finally:
            await a.close()
            await b.close()


async def test_start_fails_clearly_when_redis_does_not_answer() -> None:
    with RedisServer() as server:
        url = f"redis://user:secret-pw@127.0.0.1:{server.port}/0"
    broker = RedisBroker(url, "x")
    with pytest.raises(RedisUnreachable) as err:
        await broker.start()
    assert f"127.0.0.1:{server.port}" in str(err.value)
    assert "secret-pw" not in str(err.value)
    await broker.close()
