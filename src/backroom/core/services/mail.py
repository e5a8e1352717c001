"""Sending mail: off the request path for the auth flows, at once for the test email."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from backroom.core.collections.model import Schema
from backroom.core.context import RequestContext
from backroom.core.mail.messages import TEMPLATE_OPTIONS, build_mail
from backroom.core.ports import Mailer, MailError, MailMessage
from backroom.core.services.collections import require_superuser
from backroom.core.services.settings import SettingsService
from backroom.errors import BadRequestError, ErrorDetail, ValidationError

__all__ = ["MailService"]

log = logging.getLogger("backroom.mail")

_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_TEST_TOKEN = "____TEST_TOKEN____"
_TEST_FAILED = "Failed to send the test email."


class MailService:
    def __init__(self, mailer: Mailer, settings: SettingsService, schema: Schema) -> None:
        self._mailer = mailer
        self._settings = settings
        self._schema = schema
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def meta(self) -> Mapping[str, Any]:
        return self._settings.section("meta")

    async def send(self, message: MailMessage) -> None:
        await self._mailer.send(message)

    def in_background(self, job: Callable[[], Awaitable[None]], what: str) -> None:
        """Run ``job`` after the response is on its way; a failure is logged, never raised:
        the client's answer must not depend on it (nor on whether an account exists)."""

        async def run() -> None:
            try:
                await job()
            except MailError as err:
                log.error("failed to send the %s mail: %s", what, err)
            except Exception:
                log.exception("failed to send the %s mail", what)

        task = asyncio.get_running_loop().create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for every mail still being sent (at shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def test_email(self, ctx: RequestContext, body: Mapping[str, Any]) -> None:
        require_superuser(ctx)
        email, template = body.get("email"), body.get("template")
        name = body.get("collection") or "_superusers"
        if not all(isinstance(v, str | None) for v in (email, template, name)):
            raise BadRequestError("An error occurred while loading the submitted data.")
        errors: dict[str, ErrorDetail] = {}
        if not email:
            errors["email"] = _REQUIRED
        elif "@" not in email or email.startswith("@") or email.endswith("@"):
            errors["email"] = ErrorDetail("validation_is_email", "Must be a valid email address.")
        if not template:
            errors["template"] = _REQUIRED
        elif template not in TEMPLATE_OPTIONS:
            errors["template"] = ErrorDetail("validation_in_invalid", "Must be a valid value.")
        c = self._schema.get(str(name))
        if c is None or not c.is_auth:
            errors["collection"] = ErrorDetail(
                "validation_invalid_auth_collection", "Must be a valid auth collection id or name."
            )
        if errors:
            raise ValidationError(_TEST_FAILED, errors)
        assert c is not None
        assert isinstance(email, str)
        assert isinstance(template, str)
        record = {"id": "", "email": email, "emailVisibility": False, "verified": False}
        extra = {
            "{TOKEN}": _TEST_TOKEN,
            "{OTP}": "123456",
            "{OTP_ID}": "OTP_ID",
            "{ALERT_INFO}": "Test alert info",
        }
        message = build_mail(template, c, record, self.meta, email, extra)
        try:
            await self._mailer.send(message)
        except MailError as err:
            log.error("failed to send the test mail: %s", err)
            raise BadRequestError(_TEST_FAILED) from err
