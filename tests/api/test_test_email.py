"""``POST /api/settings/test/email``: every template, sent at once through real SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backroom.testing import TestApp, running_app
from backroom.testing.smtp import MailCatcher

TEMPLATES = {
    "verification": "Verify your Acme email",
    "password-reset": "Reset your Acme password",
    "email-change": "Confirm your Acme new email address",
    "otp": "OTP for Acme",
    "login-alert": "Login from a new location",
}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        yield test_app


@pytest.mark.parametrize(("template", "subject"), TEMPLATES.items())
async def test_each_template_is_sent(
    app: TestApp, smtp: MailCatcher, template: str, subject: str
) -> None:
    await app.client.patch("/api/settings", headers=app.su(), json={"smtp": smtp.settings()})
    body = {"email": "to@example.com", "template": template, "collection": "users"}
    r = await app.client.post("/api/settings/test/email", headers=app.su(), json=body)
    assert r.status_code == 204, r.text
    mails = smtp.sent_to("to@example.com")  # sent before the answer
    assert [m.subject for m in mails] == [subject]
    assert mails[0].sender == "support@example.com"


async def test_smtp_authentication_uses_the_settings(app: TestApp) -> None:
    with MailCatcher(credentials=("mailer", "pa55")) as smtp:
        settings = smtp.settings(username="mailer", password="pa55", authMethod="PLAIN")
        await app.client.patch("/api/settings", headers=app.su(), json={"smtp": settings})
        body = {"email": "to@example.com", "template": "verification"}
        r = await app.client.post("/api/settings/test/email", headers=app.su(), json=body)
        assert r.status_code == 204, r.text
        assert [m.login for m in smtp.sent_to("to@example.com")] == ["mailer"]
        settings["password"] = "wrong"
        await app.client.patch("/api/settings", headers=app.su(), json={"smtp": settings})
        r = await app.client.post("/api/settings/test/email", headers=app.su(), json=body)
        assert r.status_code == 400
        assert r.json()["message"] == "Failed to send the test email."


async def test_disabled_smtp_is_a_400(app: TestApp) -> None:
    body = {"email": "to@example.com", "template": "verification"}
    r = await app.client.post("/api/settings/test/email", headers=app.su(), json=body)
    assert r.status_code == 400
    assert r.json()["message"] == "Failed to send the test email."


async def test_field_errors(app: TestApp) -> None:
    r = await app.client.post("/api/settings/test/email", headers=app.su(), json={})
    assert r.status_code == 400
    assert set(r.json()["data"]) == {"email", "template"}
    bad = {"email": "x", "template": "nope", "collection": "nope"}
    r = await app.client.post("/api/settings/test/email", headers=app.su(), json=bad)
    assert set(r.json()["data"]) == {"email", "template", "collection"}


async def test_guests_get_401(app: TestApp) -> None:
    r = await app.client.post("/api/settings/test/email", json={})
    assert r.status_code == 401
