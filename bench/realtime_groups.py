"""What grouping subscribers by rule context saves: the hub's cost per event, in process.

    python bench/realtime_groups.py [--subscribers 1000] [--events 200]

``--subscribers`` streams subscribe to ``posts/*`` whose listRule needs a query
(``title != @request.headers.x_hide``). In the first run they all send the same header, so
they form one group and the rule runs once per event; in the second each sends its own, so
every subscriber is its own group, which is what checking every subscriber separately costs
(PocketBase runs one query per subscriber and event). Reported: rule queries and the hub's
time per event (check, serialize, queue the frames), median and p99, without network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from backroom.realtime.wire import decode_changes
from backroom.testing import running_app


def _topic(header: str) -> str:
    options = json.dumps({"query": {}, "headers": {"X-Hide": header}})
    return f"posts/*?options={quote(options)}"


async def _run(subscribers: int, events: int, shared: bool) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_app(Path(tmp) / "d", realtime_max_clients_per_ip=subscribers) as app:
            await app.login()
            r = await app.client.post(
                "/api/collections",
                headers=app.su(),
                json={
                    "name": "posts",
                    "listRule": "title != @request.headers.x_hide",
                    "createRule": "",
                    "fields": [{"name": "title", "type": "text"}],
                },
            )
            r.raise_for_status()
            hub = app.backroom.realtime
            clients = []
            for i in range(subscribers):
                client = hub.connect("127.0.0.1")
                hub.subscribe(client, None, [_topic("none" if shared else f"h{i}")])
                clients.append(client)
            captured: list[bytes] = []
            hub._received = captured.append  # type: ignore[method-assign]
            app.backroom.broker._handlers.clear()  # type: ignore[attr-defined]
            app.backroom.broker.listen("realtime.records", captured.append)  # type: ignore[attr-defined]
            for i in range(events):
                await app.client.post("/api/collections/posts/records", json={"title": f"p{i}"})
            await hub.idle()
            checks_before = hub._audience.rule_checks
            timings = []
            for payload in captured:
                for change in decode_changes(payload):
                    began = time.perf_counter()
                    await hub._deliver(change)
                    timings.append(time.perf_counter() - began)
                for client in clients:
                    client.take()
            checks = (hub._audience.rule_checks - checks_before) // max(1, len(timings))
            timings.sort()
            return (
                checks,
                statistics.median(timings) * 1000,
                timings[int(0.99 * len(timings))] * 1000,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    print("| subscribers | rule contexts | rule queries per event | ms per event (p50) | p99 |")
    print("|---|---|---|---|---|")
    for shared in (True, False):
        checks, p50, p99 = asyncio.run(_run(args.subscribers, args.events, shared))
        contexts = 1 if shared else args.subscribers
        print(f"| {args.subscribers} | {contexts} | {checks} | {p50:.2f} | {p99:.2f} |", flush=True)


if __name__ == "__main__":
    main()
