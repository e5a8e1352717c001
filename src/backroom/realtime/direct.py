"""Messages for one client whichever process holds its stream (the ``@oauth2`` redirect).

The request that carries the message may reach another process than the client's stream:
the message is tried here first, then asked for on the broker; the process holding the
client delivers it and says so.
"""

from __future__ import annotations

from typing import Any

from backroom.core.ports import Broker
from backroom.realtime.asking import Questions
from backroom.realtime.hub import RealtimeHub

__all__ = ["DirectMessages"]

CHANNEL = "realtime.direct"


class DirectMessages:
    def __init__(self, hub: RealtimeHub, broker: Broker, timeout: float = 1.0) -> None:
        self._hub = hub
        self._questions = Questions(broker, CHANNEL, self._deliver, timeout)

    async def send_once(self, client_id: str, topic: str, data: bytes) -> bool:
        """Send ``data`` as ``topic`` to the client subscribed to it, then end that
        subscription; False when no process holds such a client."""
        if self._hub.send_to(client_id, topic, data, once=True):
            return True
        if self._hub.clients.get(client_id) is not None:
            return False  # here, but not waiting for this topic
        question = {"c": client_id, "t": topic, "d": data.decode()}
        return await self._questions.ask(question) is not None

    async def _deliver(self, question: dict[str, Any]) -> bool | None:
        client_id, topic, data = str(question["c"]), str(question["t"]), str(question["d"])
        return True if self._hub.send_to(client_id, topic, data.encode(), once=True) else None
