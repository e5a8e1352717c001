"""Realtime fan-out: Backroom vs PocketBase, side by side in one run.

    python bench/realtime.py [--subscribers 100,1000] [--rate 5] [--duration 5]
                             [--saturate 20,50,100,200]

Each server is pinned to core 0 and this client to core 1. ``--subscribers`` guest streams
subscribe to ``posts/*`` (a public list rule); one writer creates posts at ``--rate`` a second
for ``--duration`` seconds. Reported per server and subscriber count: events delivered per
second, the p50/p99 time from sending the create request to the event's arrival at a
subscriber, events lost (expected minus received, two seconds after the last write), and
the server's resident memory. Then, with the most subscribers, the writer's rate climbs
through ``--saturate`` until fewer than 95% of the events arrive or p99 passes one second:
the highest delivered rate before that is the saturation point. Rate limits are off on both.
The subscribers are read by ``listener.py`` on uvloop, the cheapest reading Python offers, so
that on two shared cores (``--both-cores``) the client leaves the servers as much as it can.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).parent))

from listener import listen
from servers import EMAIL, PASSWORD, Server, start_backroom, start_pocketbase


@dataclass
class Result:
    subscribers: int
    rate: float
    delivered_per_s: float
    p50_ms: float
    p99_ms: float
    lost: int
    rss_mb: float


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the server's workers)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        pids += [int(c) for c in children]
    return total / 1024


async def _prepare(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        auth = await client.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": EMAIL, "password": PASSWORD},
        )
        su = {"Authorization": auth.json()["token"]}
        r = await client.patch("/api/settings", json={"rateLimits": {"enabled": False}}, headers=su)
        r.raise_for_status()
        r = await client.post(
            "/api/collections",
            headers=su,
            json={
                "name": "posts",
                "listRule": "",
                "createRule": "",
                "fields": [{"name": "title", "type": "text"}],
            },
        )
        r.raise_for_status()


async def _run(server: Server, port: int, subscribers: int, rate: float, duration: float) -> Result:
    arrivals: list[tuple[int, float]] = []
    streams = []
    for start in range(0, subscribers, 200):
        count = min(200, subscribers - start)
        opening = (listen("127.0.0.1", port, arrivals) for _ in range(count))
        streams += await asyncio.gather(*opening)
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        for start in range(0, subscribers, 200):
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/api/realtime",
                        json={"clientId": s.client_id.result(), "subscriptions": ["posts/*"]},
                    )
                    for s in streams[start : start + 200]
                )
            )
            assert all(a.status_code == 204 for a in answers)
        sent: dict[int, float] = {}
        began = time.monotonic()
        writes = int(rate * duration)
        pending = []
        for seq in range(writes):
            target = began + seq / rate
            await asyncio.sleep(max(0.0, target - time.monotonic()))
            sent[seq] = time.monotonic()
            pending.append(
                asyncio.create_task(
                    client.post("/api/collections/posts/records", json={"title": str(seq)})
                )
            )
        await asyncio.gather(*pending)
        await asyncio.sleep(2)
        elapsed = time.monotonic() - began
        rss = _rss_mb(server.proc.pid)
    for s in streams:
        s.close()
    latencies = sorted(at - sent[seq] for seq, at in arrivals if seq in sent)

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    expected = writes * subscribers
    return Result(
        subscribers,
        rate,
        len(arrivals) / (elapsed - 2 if elapsed > 2 else elapsed),
        pct(0.5),
        pct(0.99),
        expected - len(arrivals),
        rss,
    )


def _measure(start: object, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        server: Server = start(Path(tmp), 0)  # type: ignore[operator]
        try:
            port = int(server.base.rsplit(":", 1)[1])
            asyncio.run(_prepare(server))
            for n in args.subscribers:
                results.append(uvloop.run(_run(server, port, n, args.rate, args.duration)))
            top = max(args.subscribers)
            for rate in args.saturate:
                r = uvloop.run(_run(server, port, top, rate, args.duration))
                results.append(r)
                if r.lost > 0.05 * rate * args.duration * top or r.p99_ms > 1000:
                    break
        finally:
            server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    parser.add_argument("--subscribers", type=ints, default=[100, 1000])
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--saturate", type=ints, default=[20, 50, 100, 200])
    parser.add_argument("--servers", default="pocketbase,backroom")
    parser.add_argument(
        "--both-cores",
        action="store_true",
        help="servers on every core (Backroom with --workers 2), the client unpinned",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and not args.both_cores:
        os.sched_setaffinity(0, {1})
    # one address holds every stream of this client: let Backroom take them all
    os.environ["BACKROOM_REALTIME_MAX_CLIENTS_PER_IP"] = "100000"
    print(
        "| server | subscribers | writes/s | delivered events/s | p50 ms | p99 ms | lost | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    if args.both_cores:
        starters = {
            "pocketbase": lambda work, _core: start_pocketbase(work, None),
            "backroom": lambda work, _core: start_backroom(work, None, workers=2),
        }
    else:
        starters = {"pocketbase": start_pocketbase, "backroom": start_backroom}
    for name in args.servers.split(","):
        for r in _measure(starters[name], args):
            print(
                f"| {name} | {r.subscribers} | {r.rate:g} | {r.delivered_per_s:,.0f} | "
                f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.lost} | {r.rss_mb:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
