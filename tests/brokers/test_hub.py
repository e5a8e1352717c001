"""The socket hub of ``serve --workers N`` survives workers that die, stall or misbehave."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from _deployment import Deployment, until

from backroom.realtime.brokers import hub as hub_module
from backroom.realtime.brokers.frames import HEADER, HELLO, frame
from backroom.realtime.brokers.hub import BrokerHub
from backroom.realtime.brokers.socket import SocketBroker

_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from backroom.realtime.brokers.socket import SocketBroker

    async def main():
        broker = SocketBroker(sys.argv[1])
        broker.listen("x", lambda p: print(p.decode(), flush=True))
        await broker.start()
        print("ready", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def _worker(hub: BrokerHub) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(hub.path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _reap(proc: subprocess.Popen[str]) -> None:
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


async def _reached(broker: SocketBroker, want: int) -> None:
    for _ in range(500):
        if await broker.publish_counted("x", b"probe") == want:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"a publish never reached exactly {want} workers")


async def test_a_worker_killed_and_started_again_rejoins(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        here = await d.process()
        assert isinstance(here, SocketBroker)
        first = _worker(hub)
        await _reached(here, 2)
        os.kill(first.pid, signal.SIGKILL)
        _reap(first)
        await _reached(here, 1)
        second = _worker(hub)
        try:
            await _reached(here, 2)
            await here.publish("x", b"to the new worker")
            assert second.stdout is not None
            lines = await asyncio.to_thread(
                lambda: [second.stdout.readline().strip() for _ in range(2)]  # type: ignore[union-attr]
            )
            assert "to the new worker" in lines
        finally:
            second.kill()
            _reap(second)
    finally:
        await d.close()


async def test_a_dropped_connection_reconnects_and_says_so(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        a = await d.process()
        b = await d.process()
        told: list[bool] = []
        got: list[bytes] = []
        b.on_reconnect(lambda: told.append(True))
        b.listen("x", got.append)
        hub.disconnect_all()
        await until(lambda: told == [True])
        await a.publish("x", b"1")  # a may still be reconnecting: at-most-once
        await until(lambda: len(hub.workers) == 2)
        await a.publish("x", b"2")
        await until(lambda: b"2" in got)
    finally:
        await d.close()


async def test_a_worker_that_stops_reading_is_cut_off_and_the_rest_keep_going(
    hub: BrokerHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_module, "MAX_BACKLOG", 256 << 10)
    stuck = socket.socket(socket.AF_UNIX)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(str(hub.path))
    d = Deployment("socket hub", hub=hub)
    try:
        broker = await d.process()
        await until(lambda: len(hub.workers) == 2)
        got: list[bytes] = []
        broker.listen("x", got.append)
        payload = b"y" * 4096
        # about 4 MB in all, far past what the stuck worker's buffers hold; in steps, each
        # read before the next, so the worker that does read never falls behind
        for step in range(1, 101):
            for _ in range(10):
                await broker.publish("x", payload)
            await until(lambda step=step: len(got) == 10 * step)
        await until(lambda: len(hub.workers) == 1)
        stuck.setblocking(False)
        header = stuck.recv(HEADER.size)
        assert HEADER.unpack(header)[1] == HELLO
    finally:
        stuck.close()
        await d.close()


async def test_a_worker_sending_garbage_is_disconnected(hub: BrokerHub) -> None:
    d = Deployment("socket hub", hub=hub)
    try:
        broker = await d.process()
        bad = socket.socket(socket.AF_UNIX)
        bad.connect(str(hub.path))
        await until(lambda: len(hub.workers) == 2)
        bad.sendall(frame(ord("Z"), b"???"))
        await until(lambda: len(hub.workers) == 1)
        got: list[bytes] = []
        broker.listen("x", got.append)
        await broker.publish("x", b"still here")
        await until(lambda: got == [b"still here"])
        bad.close()
    finally:
        await d.close()


def test_the_hub_socket_is_private_and_removed_on_stop() -> None:
    with BrokerHub() as hub:
        path = hub.path
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)
        assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
    assert not path.exists()
    assert not path.parent.exists()
