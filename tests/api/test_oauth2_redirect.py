"""``/api/oauth2-redirect``: the provider sends the browser back here and the code goes on
to the client waiting for it over realtime, through the ``OAuth2Redirects`` port."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from backroom.testing import TestApp


class _Waiting:
    """A stand-in for realtime: one client subscribed to ``@oauth2``."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.messages: list[dict[str, str]] = []

    async def deliver(self, client_id: str, message: Mapping[str, str]) -> bool:
        if client_id != self.client_id:
            return False
        self.messages.append(dict(message))
        return True


@pytest.mark.parametrize(
    ("method", "params", "location", "delivered"),
    [
        ("GET", {"state": "client-1", "code": "abc"}, "success", True),
        ("POST", {"state": "client-1", "code": "abc"}, "success", True),
        ("GET", {"state": "client-1", "error": "access_denied"}, "failure", True),
        ("GET", {"state": "client-1"}, "failure", True),
        ("GET", {"state": "someone-else", "code": "abc"}, "failure", False),
        ("GET", {"code": "abc"}, "failure", False),
    ],
)
async def test_the_redirect_goes_to_the_waiting_client_only(
    app: TestApp, method: str, params: dict[str, str], location: str, delivered: bool
) -> None:
    waiting = _Waiting("client-1")
    app.backroom.oauth2_redirects = waiting
    if method == "GET":
        r = await app.client.get("/api/oauth2-redirect", params=params)
    else:
        r = await app.client.post("/api/oauth2-redirect", data=params)
    assert r.status_code == (307 if method == "GET" else 303)
    assert r.headers["location"] == f"../_/#/auth/oauth2-redirect-{location}"
    assert bool(waiting.messages) is delivered
    if delivered:
        assert waiting.messages[0]["state"] == "client-1"
        assert waiting.messages[0].get("code", "") == params.get("code", "")


async def test_without_realtime_every_redirect_fails(app: TestApp) -> None:
    r = await app.client.get("/api/oauth2-redirect", params={"state": "c", "code": "x"})
    assert r.status_code == 307
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
