"""One-time passwords by mail, end to end through a real SMTP server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backroom.core.services.otp import MAX_FAILURES
from backroom.testing import TestApp, running_app
from backroom.testing.smtp import MailCatcher

PASSWORD = "s3cret-pw-1"


@pytest.fixture
async def app(tmp_path: Path, smtp: MailCatcher) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        r = await test_app.client.patch(
            "/api/settings", headers=test_app.su(), json={"smtp": smtp.settings()}
        )
        assert r.status_code == 200
        r = await test_app.client.patch(
            "/api/collections/users", headers=test_app.su(), json={"otp": {"enabled": True}}
        )
        assert r.status_code == 200, r.text
        body = {"email": "u@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        assert (await test_app.client.post("/api/collections/users/records", json=body)).is_success
        yield test_app


async def _post(app: TestApp, action: str, body: Any) -> tuple[int, Any]:
    r = await app.client.post(f"/api/collections/users/{action}", json=body)
    return r.status_code, (r.json() if r.content else None)


async def _request(app: TestApp, smtp: MailCatcher, count: int = 1) -> tuple[str, str]:
    status, body = await _post(app, "request-otp", {"email": "u@example.com"})
    assert status == 200
    mail = await smtp.next_mail("u@example.com", count)
    code = re.search(r"<strong>(\d+)</strong>", mail.html)
    assert code is not None, mail.html
    return body["otpId"], code.group(1)


async def test_the_mailed_code_signs_in_once_and_verifies(app: TestApp, smtp: MailCatcher) -> None:
    otp_id, code = await _request(app, smtp)
    assert len(code) == 8
    status, body = await _post(app, "auth-with-otp", {"otpId": otp_id, "password": code})
    assert status == 200, body
    assert body["record"]["email"] == "u@example.com"
    assert body["record"]["verified"] is True
    r = await app.client.post(
        "/api/collections/users/auth-refresh", headers={"Authorization": body["token"]}
    )
    assert r.status_code == 200
    status, body = await _post(app, "auth-with-otp", {"otpId": otp_id, "password": code})
    assert status == 400


async def test_an_unknown_email_gets_an_otp_id_too(app: TestApp, smtp: MailCatcher) -> None:
    status, body = await _post(app, "request-otp", {"email": "nobody@example.com"})
    assert status == 200
    assert set(body) == {"otpId"}
    assert re.fullmatch(r"[a-z0-9]{15}", body["otpId"])
    await app.backroom.mail.drain()
    assert smtp.sent_to("nobody@example.com") == []
    status, _ = await _post(app, "auth-with-otp", {"otpId": body["otpId"], "password": "12345678"})
    assert status == 400


async def test_the_code_dies_after_too_many_wrong_guesses(app: TestApp, smtp: MailCatcher) -> None:
    otp_id, code = await _request(app, smtp)
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    for _ in range(MAX_FAILURES):
        status, body = await _post(app, "auth-with-otp", {"otpId": otp_id, "password": wrong})
        assert status == 400
        assert body["message"] == "Invalid or expired OTP."
    status, _ = await _post(app, "auth-with-otp", {"otpId": otp_id, "password": code})
    assert status == 400


async def test_concurrent_sign_ins_with_one_code_succeed_once(
    app: TestApp, smtp: MailCatcher
) -> None:
    otp_id, code = await _request(app, smtp)
    answers = await asyncio.gather(
        *(_post(app, "auth-with-otp", {"otpId": otp_id, "password": code}) for _ in range(20))
    )
    assert sorted(status for status, _ in answers) == [200] + [400] * 19


async def test_an_expired_code_is_refused(app: TestApp, smtp: MailCatcher) -> None:
    r = await app.client.patch(
        "/api/collections/users", headers=app.su(), json={"otp": {"duration": 10}}
    )
    assert r.status_code == 200, r.text
    otp_id, code = await _request(app, smtp)
    otps = app.backroom.schema.get("_otps")
    assert otps is not None
    async with app.backroom.storage.transaction() as tx:
        row = await tx.get_record(otps, otp_id)
        assert row is not None
        row["created"] = "2020-01-01 00:00:00.000Z"
        await tx.update_record(otps, otp_id, row)
    status, _ = await _post(app, "auth-with-otp", {"otpId": otp_id, "password": code})
    assert status == 400


async def test_otp_must_be_enabled(app: TestApp) -> None:
    r = await app.client.patch(
        "/api/collections/users", headers=app.su(), json={"otp": {"enabled": False}}
    )
    assert r.status_code == 200
    status, body = await _post(app, "request-otp", {"email": "u@example.com"})
    assert status == 403
    assert body["message"] == "The collection is not configured to allow OTP authentication."
