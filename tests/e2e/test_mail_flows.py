"""The mailbox flows against the real ``backroom serve`` over TCP, configured through the
settings API to send through a real SMTP server; each step follows the link in the mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _server import backroom_server

from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.e2e

APP_URL = "http://shop.test"


@pytest.fixture
def http(tmp_path: Path, smtp: MailCatcher) -> Iterator[httpx.Client]:
    with (
        backroom_server(tmp_path / "br_data") as srv,
        httpx.Client(base_url=srv.base, timeout=10) as client,
    ):
        settings = {"smtp": smtp.settings(), "meta": {"appURL": APP_URL}}
        assert client.patch("/api/settings", headers=srv.su(), json=settings).status_code == 200
        yield client


def _token(html: str, action: str) -> str:
    m = re.search(rf'href="{re.escape(APP_URL)}/_/#/auth/{action}/([\w.-]+)"', html)
    assert m is not None, html
    return m.group(1)


def _login(http: httpx.Client, email: str, password: str) -> httpx.Response:
    return http.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": password},
    )


def test_sign_up_verify_reset_and_change_email(http: httpx.Client, smtp: MailCatcher) -> None:
    ann = {"email": "ann@example.com"}
    body = {**ann, "password": "first-pass-1", "passwordConfirm": "first-pass-1"}
    assert http.post("/api/collections/users/records", json=body).status_code == 200

    r = http.post("/api/collections/users/request-verification", json=ann)
    assert r.status_code == 204
    token = _token(smtp.wait_for("ann@example.com")[0].html, "confirm-verification")
    r = http.post("/api/collections/users/confirm-verification", json={"token": token})
    assert r.status_code == 204
    first = _login(http, "ann@example.com", "first-pass-1")
    assert first.json()["record"]["verified"] is True

    r = http.post("/api/collections/users/request-password-reset", json=ann)
    assert r.status_code == 204
    token = _token(smtp.wait_for("ann@example.com", 2)[1].html, "confirm-password-reset")
    reset = {"token": token, "password": "second-pass-2", "passwordConfirm": "second-pass-2"}
    assert http.post("/api/collections/users/confirm-password-reset", json=reset).status_code == 204
    old = {"Authorization": first.json()["token"]}
    assert http.post("/api/collections/users/auth-refresh", headers=old).status_code == 401
    second = _login(http, "ann@example.com", "second-pass-2")
    assert second.status_code == 200

    auth = {"Authorization": second.json()["token"]}
    r = http.post(
        "/api/collections/users/request-email-change",
        headers=auth,
        json={"newEmail": "ann@new.example.com"},
    )
    assert r.status_code == 204
    token = _token(smtp.wait_for("ann@new.example.com")[0].html, "confirm-email-change")
    change = {"token": token, "password": "second-pass-2"}
    assert http.post("/api/collections/users/confirm-email-change", json=change).status_code == 204
    assert http.post("/api/collections/users/auth-refresh", headers=auth).status_code == 401
    assert _login(http, "ann@new.example.com", "second-pass-2").status_code == 200
    assert _login(http, "ann@example.com", "second-pass-2").status_code == 400
