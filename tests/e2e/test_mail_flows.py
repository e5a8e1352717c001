"""The mailbox flows against the real ``backroom serve`` over TCP, configured through the
settings API to send through a real SMTP server; each step follows the link in the mail."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "backroom"
APP_URL = "http://shop.test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def http(tmp_path: Path, smtp: MailCatcher) -> Iterator[httpx.Client]:
    data = str(tmp_path / "br_data")
    subprocess.run(
        [str(BIN), "superuser", "upsert", "admin@example.com", "s3cret-pw-1", "--dir", data],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", data],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=base, timeout=10) as client:
            auth = client.post(
                "/api/collections/_superusers/auth-with-password",
                json={"identity": "admin@example.com", "password": "s3cret-pw-1"},
            )
            su = {"Authorization": auth.json()["token"]}
            settings = {"smtp": smtp.settings(), "meta": {"appURL": APP_URL}}
            assert client.patch("/api/settings", headers=su, json=settings).status_code == 200
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=15)


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
