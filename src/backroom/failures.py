"""Wrong passwords and wrong one-time codes counted in one process count in every process of
the deployment.

Each process keeps its own counts; without this, a guesser whose tries spread over N workers
or nodes would get N times the allowed tries. A failure is published on the broker and every
other process counts it as its own. Counts arrive a moment later elsewhere, so tries racing on
several processes at that moment may each still pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from backroom.core.ports import Broker
from backroom.core.ratelimit import RateLimiter

__all__ = ["FAILED_LOGIN", "FAILED_OTP", "SharedFailures"]

FAILED_LOGIN = "backroom.failed-login"
FAILED_OTP = "backroom.failed-otp"


class OtpFailures(Protocol):
    on_failure: Callable[[str], None] | None

    def heard_failure(self, otp_id: str) -> None: ...


class SharedFailures:
    def __init__(
        self, broker: Broker, node: str, limiter: RateLimiter, otp: OtpFailures | None = None
    ) -> None:
        self._broker = broker
        self._node = node
        self._limiter = limiter
        self._otp = otp
        self._sending: set[asyncio.Task[None]] = set()
        limiter.on_failure = lambda account, client: self._tell(FAILED_LOGIN, account, client)
        broker.listen(FAILED_LOGIN, self._heard_login)
        if otp is not None:
            otp.on_failure = lambda otp_id: self._tell(FAILED_OTP, otp_id)
            broker.listen(FAILED_OTP, self._heard_otp)

    def _tell(self, channel: str, *what: str) -> None:
        message = orjson.dumps([self._node, *what])
        task = asyncio.get_running_loop().create_task(self._broker.publish(channel, message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _others(self, payload: bytes, size: int) -> list[str] | None:
        msg: Any = orjson.loads(payload)
        if isinstance(msg, list) and len(msg) == size + 1 and msg[0] != self._node:
            return [str(v) for v in msg[1:]]
        return None

    def _heard_login(self, payload: bytes) -> None:
        what = self._others(payload, 2)
        if what is not None:
            self._limiter.count_failure(what[0], what[1], here=False)

    def _heard_otp(self, payload: bytes) -> None:
        what = self._others(payload, 1)
        if what is not None and self._otp is not None:
            self._otp.heard_failure(what[0])
