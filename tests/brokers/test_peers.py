"""BrokerPeers: a change is answered only once every other process has reloaded it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from _deployment import Deployment, until

from backroom.peers import BrokerPeers
from backroom.realtime.brokers.hub import BrokerHub
from backroom.realtime.brokers.memory import InProcessBroker
from backroom.realtime.brokers.socket import SocketBroker


class Process:
    """One process's peers, counting its reloads; ``gate`` holds reloads while cleared."""

    def __init__(self, peers: BrokerPeers) -> None:
        self.peers = peers
        self.reloaded: dict[str, int] = {"collections": 0, "settings": 0}
        self.gate = asyncio.Event()
        self.gate.set()
        for what in self.reloaded:
            peers.reloads(what, self._reloader(what))

    def _reloader(self, what: str) -> Callable[[], Awaitable[None]]:
        async def reload() -> None:
            await self.gate.wait()
            self.reloaded[what] += 1

        return reload


async def _processes(d: Deployment, n: int, timeout: float = 3.0) -> list[Process]:
    return [Process(BrokerPeers(await d.process(), timeout=timeout)) for _ in range(n)]


async def test_a_change_returns_once_every_other_process_reloaded(shared: Deployment) -> None:
    a, b, c = await _processes(shared, 3)
    await a.peers.changed("collections")
    assert b.reloaded["collections"] == 1
    assert c.reloaded["collections"] == 1
    assert a.reloaded["collections"] == 0  # the writer already has its change
    assert b.reloaded["settings"] == 0


async def test_a_slow_process_is_waited_for(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a, b = await _processes(d, 2)
        b.gate.clear()
        change = asyncio.ensure_future(a.peers.changed("settings"))
        await asyncio.sleep(0.2)
        assert not change.done()
        b.gate.set()
        await change
        assert b.reloaded["settings"] == 1
    finally:
        await d.close()


async def test_a_stuck_process_is_given_up_on_after_the_timeout(
    hub: BrokerHub, caplog: pytest.LogCaptureFixture
) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a, b = await _processes(d, 2, timeout=0.3)
        b.gate.clear()
        with caplog.at_level(logging.WARNING, "backroom.peers"):
            await asyncio.wait_for(a.peers.changed("collections"), 5)
        assert "0 of 1 other processes reloaded collections" in caplog.text
        b.gate.set()
        await until(lambda: b.reloaded["collections"] == 1)
    finally:
        await d.close()


async def test_changes_heard_during_a_reload_get_another_reload(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a, b = await _processes(d, 2)
        b.gate.clear()
        first = asyncio.ensure_future(a.peers.changed("collections"))
        await until(lambda: "collections" in b.peers._running)
        second = asyncio.ensure_future(a.peers.changed("collections"))
        await asyncio.sleep(0.1)
        b.gate.set()
        await asyncio.gather(first, second)
        assert b.reloaded["collections"] == 2
    finally:
        await d.close()


async def test_after_a_reconnect_everything_is_reloaded_everywhere(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a, b = await _processes(d, 2)
        assert isinstance(a.peers._broker, SocketBroker)
        hub.disconnect_all()
        # each reloads for its own reconnect, and again at the other's word
        await until(lambda: a.reloaded["collections"] >= 1 and a.reloaded["settings"] >= 1)
        await until(lambda: b.reloaded["collections"] >= 1 and b.reloaded["settings"] >= 1)
    finally:
        await d.close()


async def test_a_process_whose_messages_were_lost_has_the_others_reload(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a, b = await _processes(d, 2)
        a.peers._on_reconnect()  # as if a's publishes had been dropped while it was away
        await until(lambda: b.reloaded == {"collections": 1, "settings": 1})
    finally:
        await d.close()


async def test_alone_a_change_returns_at_once() -> None:
    broker = InProcessBroker()
    a = Process(BrokerPeers(broker))
    await asyncio.wait_for(a.peers.changed("collections"), 0.5)
    assert a.reloaded["collections"] == 0
