"""One-time passwords by mail: ``request-otp`` mails a code, ``auth-with-otp`` trades the
code for an auth token once.

The answer to a request is the same for unknown emails (an ``otpId`` that leads nowhere), and
the lookup, the code and the mail happen after it. A code works once, even when sent many
times at once (the row is deleted in the transaction that accepts it), for
``otp.duration`` seconds, and for at most ``MAX_FAILURES`` wrong guesses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from backroom.core.clock import parse_datetime
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.base import FieldContext
from backroom.core.ids import new_id, random_string
from backroom.core.mail.messages import build_mail
from backroom.core.ports import Clock, Hasher, Storage
from backroom.core.services.auth import AuthService
from backroom.core.services.mail import MailService
from backroom.errors import (
    BadRequestError,
    ErrorDetail,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)

__all__ = ["MAX_FAILURES", "OtpFlows"]

MAX_FAILURES = 5
_OTPS = "_otps"
_DISABLED = "The collection is not configured to allow OTP authentication."
_INVALID = "Invalid or expired OTP."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class OtpFlows:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        hasher: Hasher,
        clock: Clock,
        mail: MailService,
        auth: AuthService,
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._hasher = hasher
        self._clock = clock
        self._mail = mail
        self._auth = auth
        self._failures: dict[str, int] = {}
        self.on_failure: Callable[[str], None] | None = None  # tells the other processes

    def _collection(self, name: str) -> tuple[Collection, Mapping[str, Any]]:
        c = self._schema.get(name)
        if c is None:
            raise NotFoundError("Missing or invalid collection context.")
        if not c.is_auth:
            raise NotFoundError("Missing or invalid auth collection context.")
        options = c.options.get("otp")
        options = options if isinstance(options, Mapping) else {}
        if not options.get("enabled"):
            raise ForbiddenError(_DISABLED)
        return c, options

    def _otps(self) -> Collection:
        c = self._schema.get(_OTPS)
        assert c is not None
        return c

    async def request(self, name: str, body: Mapping[str, Any]) -> dict[str, str]:
        c, options = self._collection(name)
        email = body.get("email")
        if email is not None and not isinstance(email, str):
            raise BadRequestError("An error occurred while loading the submitted data.")
        if not email:
            raise ValidationError(data={"email": _REQUIRED})
        if len(email) > 255 or not _EMAIL.match(email):
            raise ValidationError(
                data={"email": ErrorDetail("validation_is_email", "Must be a valid email address.")}
            )
        otp_id = new_id()
        length = int(options.get("length") or 8)

        async def job() -> None:
            record = await self._storage.find_by_field(c, "email", email)
            if record is None:
                return
            code = random_string(length, "0123456789")
            otps = self._otps()
            now = self._clock.now()
            row = {f.name: f.zero() for f in otps.fields}
            row.update(
                id=otp_id,
                collectionRef=c.id,
                recordRef=record["id"],
                password=await self._hasher.hash(code),
                sentTo=email,
            )
            fctx = FieldContext(is_new=True, is_superuser=True, now=now)
            for f in otps.fields:
                if f.type == "autodate":
                    row[f.name] = f.on_save(row[f.name], fctx)
            async with self._storage.transaction() as tx:
                await tx.insert_record(otps, row)
            extra = {"{OTP}": code, "{OTP_ID}": otp_id}
            await self._mail.send(build_mail("otp", c, record, self._mail.meta, email, extra))

        self._mail.in_background(job, "otp")
        return {"otpId": otp_id}

    def _expired(self, row: Mapping[str, Any], duration: int) -> bool:
        created = parse_datetime(str(row.get("created", "")))
        if created is None:
            return True
        return (self._clock.now_dt() - created).total_seconds() > duration

    async def authenticate(
        self, ctx: RequestContext, name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        c, options = self._collection(name)
        otp_id, password = body.get("otpId"), body.get("password")
        if not all(isinstance(v, str | None) for v in (otp_id, password)):
            raise BadRequestError("An error occurred while loading the submitted data.")
        errors = {k: _REQUIRED for k, v in (("otpId", otp_id), ("password", password)) if not v}
        if errors:
            raise ValidationError(data=errors)
        assert isinstance(otp_id, str)
        assert isinstance(password, str)
        otps = self._otps()
        found = await self._storage.get_records(otps, [otp_id])
        row = found[0] if found else None
        duration = int(options.get("duration") or 180)
        if row is None or row.get("collectionRef") != c.id or self._expired(row, duration):
            raise BadRequestError(_INVALID)
        if not await self._hasher.verify(password, str(row.get("password", ""))):
            await self._count_failure(otps, otp_id)
            raise BadRequestError(_INVALID)
        async with self._storage.transaction() as tx:
            # only the request that deletes the row signs in
            if await tx.get_record(otps, otp_id) is None:
                raise BadRequestError(_INVALID)
            await tx.delete_record(otps, otp_id)
            record = await tx.get_record(c, str(row.get("recordRef", "")))
            if record is None:
                raise BadRequestError(_INVALID)
            if not record.get("verified") and row.get("sentTo") == record.get("email"):
                record["verified"] = True
                await tx.update_record(c, str(record["id"]), record)
        self._failures.pop(otp_id, None)
        return await self._auth.signed_in(ctx, c, record, "otp")

    def heard_failure(self, otp_id: str) -> None:
        """A wrong code for ``otp_id`` tried in another process counts here too."""
        self._failures[otp_id] = self._failures.get(otp_id, 0) + 1

    async def _count_failure(self, otps: Collection, otp_id: str) -> None:
        failures = self._failures.get(otp_id, 0) + 1
        self._failures[otp_id] = failures
        if self.on_failure is not None:
            self.on_failure(otp_id)
        if failures >= MAX_FAILURES:
            async with self._storage.transaction() as tx:
                await tx.delete_record(otps, otp_id)
            self._failures.pop(otp_id, None)
