"""The broker between processes: publish-to-delivery latency and throughput per transport.

    python bench/broker.py [--messages 20000] [--rate 1000] [--seconds 2] [--payload 300]

For each transport a publisher and a receiver, each its own broker connection (the in-process
broker is one process, so it is both): the socket hub of ``serve --workers N`` runs in a
separate process, as the main process does; Redis is the one at ``--redis`` (a throwaway
``redis-server`` when none answers). Latency: ``--rate`` messages/s for ``--seconds``, each
carrying its send time, p50/p99 at the receiver. Throughput: ``--messages`` published back to
back, counted until the last arrives. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import uvloop

from backroom.core.ports import Broker
from backroom.realtime.brokers.memory import InProcessBroker
from backroom.realtime.brokers.redis import RedisBroker
from backroom.realtime.brokers.socket import SocketBroker
from backroom.testing.redis import RedisServer, answers

_STAMP = struct.Struct(">Q")
_HUB = (
    "import sys; from backroom.realtime.brokers.hub import BrokerHub; "
    "hub = BrokerHub(); hub.start(); print(hub.path, flush=True); sys.stdin.read(); hub.stop()"
)


@contextlib.contextmanager
def hub_process() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HUB], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()


@contextlib.asynccontextmanager
async def pair(kind: str, target: str) -> AsyncIterator[tuple[Broker, Broker]]:
    if kind == "in-process":
        one = InProcessBroker()
        yield one, one
        return
    channel = f"bench-{uuid.uuid4().hex}"
    a: Broker
    b: Broker
    if kind == "socket hub":
        a, b = SocketBroker(target), SocketBroker(target)
    else:
        a, b = RedisBroker(target, channel), RedisBroker(target, channel)
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def measure(kind: str, target: str, args: argparse.Namespace) -> dict[str, float]:
    pad = b"x" * max(0, args.payload - _STAMP.size)
    async with pair(kind, target) as (pub, sub):
        lat: list[int] = []
        count = 0
        done = asyncio.Event()
        want = 0

        def on_timed(payload: bytes) -> None:
            lat.append(time.monotonic_ns() - _STAMP.unpack_from(payload)[0])

        def on_bulk(payload: bytes) -> None:
            nonlocal count
            count += 1
            if count == want:
                done.set()

        sub.listen("timed", on_timed)
        sub.listen("bulk", on_bulk)
        n = int(args.rate * args.seconds)
        start = time.monotonic()
        for i in range(n):
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await pub.publish("timed", _STAMP.pack(time.monotonic_ns()) + pad)
        await asyncio.sleep(0.5)
        sent_timed = n
        want = args.messages
        body = _STAMP.pack(0) + pad
        t0 = time.perf_counter()
        for _ in range(args.messages):
            await pub.publish("bulk", body)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 60)
        elapsed = time.perf_counter() - t0
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
        return {
            "p50": q[49] / 1e6,
            "p99": q[98] / 1e6,
            "lost": (sent_timed - len(lat)) + (args.messages - count),
            "rate": count / elapsed,
        }


async def main(args: argparse.Namespace) -> None:
    rows = []
    with contextlib.ExitStack() as stack:
        redis_url = args.redis
        if not answers("127.0.0.1", 6379) and redis_url == "redis://127.0.0.1:6379/0":
            redis_url = stack.enter_context(RedisServer()).url
        hub_path = stack.enter_context(hub_process())
        for kind, target in (
            ("in-process", ""),
            ("socket hub", hub_path),
            ("redis", redis_url),
        ):
            r = await measure(kind, target, args)
            rows.append((kind, r))
    print(
        f"{args.payload}-byte messages; latency at {args.rate:g}/s for {args.seconds:g} s, "
        f"throughput over {args.messages} back-to-back publishes\n"
    )
    print("| transport | p50 latency (ms) | p99 latency (ms) | throughput (msg/s) | lost |")
    print("|---|---|---|---|---|")
    for kind, r in rows:
        print(f"| {kind} | {r['p50']:.3f} | {r['p99']:.3f} | {r['rate']:,.0f} | {r['lost']:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--payload", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    uvloop.run(main(parser.parse_args()))
