"""Subscriptions set through another process than the one holding the client's stream.

With several workers or nodes, the SDK's ``POST /api/realtime`` travels on its own connection
and may reach a process that does not hold the client's stream. That process asks on the
broker; the one holding the client authenticates the request's token itself, applies the
subscriptions exactly as a local request would, and answers with the status. Nobody
answering within the timeout means no such client (404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backroom.core.context import AuthInfo
from backroom.core.ports import Broker
from backroom.realtime.asking import Questions
from backroom.realtime.hub import RealtimeHub

__all__ = ["FORBIDDEN", "NOT_FOUND", "SUBSCRIBED", "RemoteSubscriptions", "same_auth"]

CHANNEL = "realtime.subscribe"
SUBSCRIBED, FORBIDDEN, NOT_FOUND = 204, 403, 404

Authenticate = Callable[[str], Awaitable[AuthInfo | None]]


def same_auth(old: AuthInfo | None, new: AuthInfo | None) -> bool:
    """PocketBase refuses to change who a client is once it has signed in."""
    if old is None:
        return True
    return new is not None and (new.collection_id, new.id) == (old.collection_id, old.id)


class RemoteSubscriptions:
    def __init__(
        self, hub: RealtimeHub, broker: Broker, authenticate: Authenticate, timeout: float = 1.0
    ) -> None:
        self._hub = hub
        self._authenticate = authenticate
        self._questions = Questions(broker, CHANNEL, self._apply, timeout)

    async def subscribe(self, client_id: str, token: str, subscriptions: list[str]) -> int:
        """Set the subscriptions of a client held by another process; its HTTP status."""
        status = await self._questions.ask({"c": client_id, "k": token, "s": subscriptions})
        return NOT_FOUND if status is None else int(status)

    async def _apply(self, question: dict[str, Any]) -> int | None:
        client_id, token = str(question["c"]), str(question["k"])
        subscriptions = [str(s) for s in question["s"]]
        if self._hub.clients.get(client_id) is None:
            return None  # not held here: another process answers
        auth = await self._authenticate(token) if token else None
        client = self._hub.clients.get(client_id)
        if client is None or client.closed:
            return NOT_FOUND
        if not same_auth(client.auth, auth):
            return FORBIDDEN
        self._hub.subscribe(client, auth, subscriptions)
        return SUBSCRIBED
