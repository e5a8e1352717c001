"""The OAuth2 redirect handed to the browser tab waiting for it over realtime."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from backroom.realtime.hub import OAUTH2_TOPIC, RealtimeHub

__all__ = ["RealtimeRedirects"]


class RealtimeRedirects:
    """``OAuth2Redirects`` over realtime: the tab subscribed to ``@oauth2`` with its client
    id as the OAuth2 state gets ``{state, code[, error]}`` once, and the subscription ends."""

    def __init__(self, hub: RealtimeHub) -> None:
        self._hub = hub

    async def deliver(self, client_id: str, message: Mapping[str, str]) -> bool:
        data = {"state": message.get("state", ""), "code": message.get("code", "")}
        if message.get("error"):
            data["error"] = message["error"]
        return self._hub.send_to(client_id, OAUTH2_TOPIC, orjson.dumps(data), once=True)
