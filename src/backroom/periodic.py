"""Background work the app repeats on a timer while it runs (the purge of expired sign-ins)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

__all__ = ["PeriodicTask"]

log = logging.getLogger("backroom")


class PeriodicTask:
    """Runs ``job`` every ``interval`` seconds from ``start`` until ``stop``. A run that
    fails is logged and the next one still happens. ``sleep`` is the wait between runs
    (tests pass one they control)."""

    def __init__(
        self,
        name: str,
        job: Callable[[], Awaitable[object]],
        interval: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self._job = job
        self._interval = interval
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def _loop(self) -> None:
        while True:
            await self._sleep(self._interval)
            try:
                await self._job()
            except Exception:
                log.exception("%s failed; it runs again in %s s", self.name, self._interval)

    async def stop(self) -> None:
        """Cancel the task, waiting out a run in progress being cancelled."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
