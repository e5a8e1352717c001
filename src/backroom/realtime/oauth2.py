"""The OAuth2 redirect handed to the browser tab waiting for it over realtime."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from backroom.realtime.direct import DirectMessages
from backroom.realtime.hub import OAUTH2_TOPIC

__all__ = ["RealtimeRedirects"]


class RealtimeRedirects:
    """``OAuth2Redirects`` over realtime: the tab subscribed to ``@oauth2`` with its client
    id as the OAuth2 state gets ``{state, code[, error]}`` once, and the subscription ends,
    whichever process holds its stream."""

    def __init__(self, direct: DirectMessages) -> None:
        self._direct = direct

    async def deliver(self, client_id: str, message: Mapping[str, str]) -> bool:
        data = {"state": message.get("state", ""), "code": message.get("code", "")}
        if message.get("error"):
            data["error"] = message["error"]
        return await self._direct.send_once(client_id, OAUTH2_TOPIC, orjson.dumps(data))
