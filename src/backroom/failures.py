"""Wrong passwords counted in one process count in every process of the deployment.

Each process keeps its own rate-limit windows; without this, a guesser whose tries spread over
N workers or nodes would get N times the allowed tries before being refused. A failure is
published on the broker and every other process counts it as its own. Counts arrive a moment
later elsewhere, so tries racing on several processes at that moment may each still pass.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from backroom.core.ports import Broker
from backroom.core.ratelimit import RateLimiter

__all__ = ["FAILED_LOGIN", "SharedFailures"]

FAILED_LOGIN = "backroom.failed-login"


class SharedFailures:
    def __init__(self, broker: Broker, limiter: RateLimiter, node: str) -> None:
        self._broker = broker
        self._limiter = limiter
        self._node = node
        self._sending: set[asyncio.Task[None]] = set()
        limiter.on_failure = self._tell
        broker.listen(FAILED_LOGIN, self._heard)

    def _tell(self, account: str, client: str) -> None:
        message = orjson.dumps([self._node, account, client])
        task = asyncio.get_running_loop().create_task(self._broker.publish(FAILED_LOGIN, message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _heard(self, payload: bytes) -> None:
        msg: Any = orjson.loads(payload)
        if isinstance(msg, list) and len(msg) == 3 and msg[0] != self._node:
            self._limiter.count_failure(str(msg[1]), str(msg[2]), here=False)
