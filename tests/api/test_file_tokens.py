"""File tokens (row F3): they expire, and they belong to one auth record."""

from __future__ import annotations

import time
from typing import Any

import pytest

from backroom.core.auth import tokens
from backroom.testing import TestApp


class _Clock:
    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


async def _protected(app: TestApp) -> tuple[str, dict[str, Any]]:
    r = await app.client.post(
        "/api/collections",
        headers=app.su(),
        json={"name": "vault", "fields": [{"name": "doc", "type": "file", "protected": True}]},
    )
    assert r.status_code == 200, r.text
    r = await app.client.post(
        "/api/collections/vault/records",
        headers=app.su(),
        files=[("doc", ("a.txt", b"secret", "text/plain"))],
    )
    assert r.status_code == 200, r.text
    rec = r.json()
    return f"/api/files/vault/{rec['id']}/{rec['doc']}", rec


async def test_a_file_token_works_for_three_minutes_then_is_refused(
    app: TestApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = await _protected(app)
    token = (await app.client.post("/api/files/token", headers=app.su())).json()["token"]
    assert (await app.client.get(url, params={"token": token})).content == b"secret"
    monkeypatch.setattr(tokens, "time", _Clock(179))
    assert (await app.client.get(url, params={"token": token})).status_code == 200
    monkeypatch.setattr(tokens, "time", _Clock(181))
    r = await app.client.get(url, params={"token": token})
    assert r.status_code == 404
    assert r.json()["message"] == "The requested resource wasn't found."


async def test_an_auth_token_is_not_a_file_token(app: TestApp) -> None:
    url, _ = await _protected(app)
    assert (await app.client.get(url, params={"token": app.superuser_token})).status_code == 404
    assert (await app.client.get(url, headers=app.su())).status_code == 404


async def test_a_guest_gets_no_file_token(app: TestApp) -> None:
    r = await app.client.post("/api/files/token")
    assert r.status_code == 401
    assert r.json() == {
        "status": 401,
        "message": "The request requires valid record authorization token.",
        "data": {},
    }
