"""Verification, password reset and email change, end to end through a real SMTP server:
each test follows the link in the mail it received."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backroom.testing import TestApp, running_app
from backroom.testing.smtp import MailCatcher

PASSWORD = "s3cret-pw-1"
APP_URL = "http://app.test"


@pytest.fixture
async def app(tmp_path: Path, smtp: MailCatcher) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        settings = {"smtp": smtp.settings(), "meta": {"appURL": APP_URL, "appName": "Shop"}}
        r = await test_app.client.patch("/api/settings", headers=test_app.su(), json=settings)
        assert r.status_code == 200
        yield test_app


async def _user(app: TestApp, email: str = "u@example.com", **extra: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    r = await app.client.post("/api/collections/users/records", json=body)
    assert r.status_code == 200, r.text
    return {"Authorization": await _login(app, email, PASSWORD)}


async def _login(app: TestApp, email: str, password: str) -> str:
    r = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": password},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _token(html: str, action: str) -> str:
    m = re.search(rf'href="{re.escape(APP_URL)}/_/#/auth/{action}/([\w.-]+)"', html)
    assert m is not None, html
    return m.group(1)


async def _post(app: TestApp, action: str, body: Any, **kw: Any) -> tuple[int, Any]:
    r = await app.client.post(f"/api/collections/users/{action}", json=body, **kw)
    return r.status_code, (r.json() if r.content else None)


async def test_verification_by_following_the_mailed_link(app: TestApp, smtp: MailCatcher) -> None:
    await _user(app)
    assert await _post(app, "request-verification", {"email": "u@example.com"}) == (204, None)
    mail = await smtp.next_mail("u@example.com")
    assert mail.subject == "Verify your Shop email"
    assert mail.message["From"] == "Support <support@example.com>"
    token = _token(mail.html, "confirm-verification")
    assert token in mail.text
    assert await _post(app, "confirm-verification", {"token": token}) == (204, None)
    record = await app.backroom.storage.find_by_field(
        app.backroom.schema.get("users"), "email", "u@example.com"
    )
    assert record is not None
    assert record["verified"] is True
    # the token is spent, and a verified account gets no more verification mails
    status, body = await _post(app, "confirm-verification", {"token": token})
    assert status == 400
    assert body["data"]["token"]["code"] == "validation_invalid_token"
    assert await _post(app, "request-verification", {"email": "u@example.com"}) == (204, None)
    await app.backroom.mail.drain()
    assert len(smtp.sent_to("u@example.com")) == 1


async def test_password_reset_kills_old_tokens_and_spends_itself(
    app: TestApp, smtp: MailCatcher
) -> None:
    old = await _user(app)
    assert await _post(app, "request-password-reset", {"email": "u@example.com"}) == (204, None)
    mail = await smtp.next_mail("u@example.com")
    assert mail.subject == "Reset your Shop password"
    token = _token(mail.html, "confirm-password-reset")
    body = {"token": token, "password": "new-password-1", "passwordConfirm": "new-password-1"}
    assert await _post(app, "confirm-password-reset", body) == (204, None)
    r = await app.client.post("/api/collections/users/auth-refresh", headers=old)
    assert r.status_code == 401
    await _login(app, "u@example.com", "new-password-1")
    r = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "u@example.com", "password": PASSWORD},
    )
    assert r.status_code == 400
    again = {**body, "password": "other-password-2", "passwordConfirm": "other-password-2"}
    status, err = await _post(app, "confirm-password-reset", again)
    assert status == 400
    assert err["data"]["token"]["code"] == "validation_invalid_token"
    await _login(app, "u@example.com", "new-password-1")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"token", "password", "passwordConfirm"}),
        ({"token": "x.y.z", "password": "new-pass", "passwordConfirm": "new-pass"}, {"token"}),
    ],
)
async def test_confirm_password_reset_field_errors(
    app: TestApp, body: dict[str, str], errors: set[str]
) -> None:
    status, err = await _post(app, "confirm-password-reset", body)
    assert status == 400
    assert err["message"] == "An error occurred while validating the submitted data."
    assert set(err["data"]) == errors


async def test_a_short_or_mismatched_new_password_is_refused(
    app: TestApp, smtp: MailCatcher
) -> None:
    await _user(app)
    await _post(app, "request-password-reset", {"email": "u@example.com"})
    token = _token((await smtp.next_mail("u@example.com")).html, "confirm-password-reset")
    short = {"token": token, "password": "short", "passwordConfirm": "short"}
    status, err = await _post(app, "confirm-password-reset", short)
    assert status == 400
    assert set(err["data"]) == {"password"}
    body = {"token": token, "password": "new-password-1", "passwordConfirm": "other-password"}
    status, err = await _post(app, "confirm-password-reset", body)
    assert status == 400
    assert err["data"]["passwordConfirm"]["code"] == "validation_values_mismatch"
    await _login(app, "u@example.com", PASSWORD)


async def test_email_change_by_following_the_mailed_link(app: TestApp, smtp: MailCatcher) -> None:
    auth = await _user(app)
    assert await _post(app, "request-email-change", {"newEmail": "new@example.com"}) == (
        401,
        {
            "status": 401,
            "message": "The request requires valid record authorization token.",
            "data": {},
        },
    )
    change = {"newEmail": "new@example.com"}
    status, _ = await _post(app, "request-email-change", change, headers=auth)
    assert status == 204
    mail = await smtp.next_mail("new@example.com")
    token = _token(mail.html, "confirm-email-change")
    wrong = {"token": token, "password": "wrong-pass"}
    status, err = await _post(app, "confirm-email-change", wrong)
    assert status == 400
    assert set(err["data"]) == {"password"}
    assert await _post(app, "confirm-email-change", {"token": token, "password": PASSWORD}) == (
        204,
        None,
    )
    r = await app.client.post("/api/collections/users/auth-refresh", headers=auth)
    assert r.status_code == 401
    await _login(app, "new@example.com", PASSWORD)
    status, _ = await _post(app, "confirm-email-change", {"token": token, "password": PASSWORD})
    assert status == 400


async def test_email_change_to_an_address_taken_meanwhile_fails_at_confirm(
    app: TestApp, smtp: MailCatcher
) -> None:
    auth = await _user(app)
    await _post(app, "request-email-change", {"newEmail": "later@example.com"}, headers=auth)
    token = _token((await smtp.next_mail("later@example.com")).html, "confirm-email-change")
    await _user(app, "later@example.com")
    status, err = await _post(app, "confirm-email-change", {"token": token, "password": PASSWORD})
    assert status == 400
    assert err["data"]["token"]["code"] == "validation_invalid_token_email"
    await _login(app, "u@example.com", PASSWORD)


async def test_record_values_are_escaped_in_the_mail_html(app: TestApp, smtp: MailCatcher) -> None:
    template = {"subject": "Hi {RECORD:name}", "body": "<p>{RECORD:name} {TOKEN}</p>"}
    r = await app.client.patch(
        "/api/collections/users", headers=app.su(), json={"verificationTemplate": template}
    )
    assert r.status_code == 200, r.text
    await _user(app, name="<script>x</script>")
    await _post(app, "request-verification", {"email": "u@example.com"})
    mail = await smtp.next_mail("u@example.com")
    assert "&lt;script&gt;x&lt;/script&gt;" in mail.html
    assert "<script>" not in mail.html
    assert mail.subject == "Hi <script>x</script>"


@pytest.mark.parametrize(
    ("action", "field", "existing", "unknown"),
    [
        ("request-password-reset", "email", "u@example.com", "nobody@example.com"),
        ("request-verification", "email", "u@example.com", "nobody@example.com"),
        ("request-email-change", "newEmail", "taken@example.com", "free@example.com"),
    ],
)
async def test_existing_and_unknown_accounts_get_the_same_answer(
    app: TestApp, smtp: MailCatcher, action: str, field: str, existing: str, unknown: str
) -> None:
    auth = await _user(app)
    await _user(app, "taken@example.com")
    answers = {
        await _post(app, action, {field: email}, headers=auth) for email in (existing, unknown)
    }
    assert answers == {(204, None)}


async def test_concurrent_password_resets_with_one_token_succeed_once(
    app: TestApp, smtp: MailCatcher
) -> None:
    await _user(app)
    await _post(app, "request-password-reset", {"email": "u@example.com"})
    token = _token((await smtp.next_mail("u@example.com")).html, "confirm-password-reset")
    bodies = [
        {"token": token, "password": f"new-password-{i}", "passwordConfirm": f"new-password-{i}"}
        for i in range(20)
    ]
    answers = await asyncio.gather(*(_post(app, "confirm-password-reset", b) for b in bodies))
    winners = [i for i, (status, _) in enumerate(answers) if status == 204]
    assert len(winners) == 1
    assert all(status == 400 for status, _ in answers if status != 204)
    await _login(app, "u@example.com", f"new-password-{winners[0]}")


async def test_concurrent_verifications_with_one_token_succeed_once(
    app: TestApp, smtp: MailCatcher
) -> None:
    await _user(app)
    await _post(app, "request-verification", {"email": "u@example.com"})
    token = _token((await smtp.next_mail("u@example.com")).html, "confirm-verification")
    answers = await asyncio.gather(
        *(_post(app, "confirm-verification", {"token": token}) for _ in range(20))
    )
    assert sorted(status for status, _ in answers) == [204] + [400] * 19


async def test_a_token_of_one_kind_is_refused_as_another(app: TestApp, smtp: MailCatcher) -> None:
    await _user(app)
    await _post(app, "request-verification", {"email": "u@example.com"})
    token = _token((await smtp.next_mail("u@example.com")).html, "confirm-verification")
    body = {"token": token, "password": "new-password-1", "passwordConfirm": "new-password-1"}
    status, _ = await _post(app, "confirm-password-reset", body)
    assert status == 400
    r = await app.client.get("/api/collections/users/records", headers={"Authorization": token})
    assert r.json()["items"] == []


async def test_a_failed_send_is_logged_and_the_answer_unchanged(
    app: TestApp, smtp: MailCatcher, caplog: pytest.LogCaptureFixture
) -> None:
    await _user(app)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = {**smtp.settings(), "port": s.getsockname()[1]}
    await app.client.patch("/api/settings", headers=app.su(), json={"smtp": closed})
    with caplog.at_level(logging.ERROR, logger="backroom.mail"):
        assert await _post(app, "request-password-reset", {"email": "u@example.com"}) == (
            204,
            None,
        )
        await app.backroom.mail.drain()
    assert any("password-reset" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("action", ["request-verification", "request-password-reset"])
@pytest.mark.parametrize("email", ["", "not-an-email"])
async def test_a_missing_or_invalid_email_is_a_field_error(
    app: TestApp, action: str, email: str
) -> None:
    status, err = await _post(app, action, {"email": email})
    assert status == 400
    assert set(err["data"]) == {"email"}


async def test_the_flows_need_an_auth_collection(app: TestApp) -> None:
    r = await app.client.post("/api/collections/nope/request-password-reset", json={})
    assert r.status_code == 404


class _StalledMailServer(MailCatcher):
    """Holds every mail until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


async def test_the_answer_does_not_wait_for_the_mail_server(app: TestApp) -> None:
    await _user(app)
    with _StalledMailServer() as stalled:
        r = await app.client.patch(
            "/api/settings", headers=app.su(), json={"smtp": stalled.settings()}
        )
        assert r.status_code == 200
        for action in ("request-password-reset", "request-verification"):
            assert await _post(app, action, {"email": "u@example.com"}) == (204, None)
        assert stalled.sent_to("u@example.com") == []  # both still held by the server
        stalled.release.set()
        assert len(await asyncio.to_thread(stalled.wait_for, "u@example.com", 2)) == 2


async def test_concurrent_email_changes_with_one_token_succeed_once(
    app: TestApp, smtp: MailCatcher
) -> None:
    auth = await _user(app)
    change = {"newEmail": "new@example.com"}
    assert (await _post(app, "request-email-change", change, headers=auth))[0] == 204
    token = _token((await smtp.next_mail("new@example.com")).html, "confirm-email-change")
    answers = await asyncio.gather(
        *(
            _post(app, "confirm-email-change", {"token": token, "password": PASSWORD})
            for _ in range(10)
        )
    )
    assert sorted(status for status, _ in answers) == [204] + [400] * 9
    await _login(app, "new@example.com", PASSWORD)
