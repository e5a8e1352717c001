"""The auth flows that go through the account's mailbox: verification, password reset and
email change. Each request answers the same whether or not the account exists (the lookup
and the mail happen after the answer); each confirmation checks and spends its token inside
one write transaction, so a token used twice at once succeeds once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.action_tokens import (
    EMAIL_CHANGE,
    PASSWORD_RESET,
    VERIFICATION,
    issue_action_token,
    read_action_claims,
    verify_action_token,
)
from backroom.core.auth.tokens import read_claims_unverified
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.base import FieldContext
from backroom.core.mail.messages import build_mail
from backroom.core.ports import Clock, Hasher, Storage, Transaction, UniqueViolation
from backroom.core.services.auth_origins import forget_origins
from backroom.core.services.mail import MailService
from backroom.core.services.pending_sign_ins import end_stale_sign_ins
from backroom.core.services.secrets import new_token_key
from backroom.errors import (
    BadRequestError,
    ErrorDetail,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)

__all__ = ["AuthMailFlows"]

_LOAD_FAILED = "An error occurred while loading the submitted data."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_BAD_EMAIL = ErrorDetail("validation_is_email", "Must be a valid email address.")
_BAD_TOKEN = ErrorDetail("validation_invalid_token", "Invalid or expired token.")
_MISMATCH = ErrorDetail("validation_values_mismatch", "Values don't match.")
_BAD_PASSWORD = ErrorDetail(
    "validation_invalid_password", "Missing or invalid auth record password."
)
_NEW_EMAIL_INVALID = ErrorDetail(
    "validation_invalid_token_email", "The new email address is invalid."
)
_NO_EMAIL_CLAIM = ErrorDetail("validation_invalid_token_claims", "Missing email token claim.")
_NO_NEW_EMAIL_CLAIM = ErrorDetail(
    "validation_invalid_token_payload", "Invalid token payload - newEmail must be set."
)
_SUPERUSERS_VERIFIED = "All superusers are verified by default."
_SUPERUSERS_EMAIL = "All superusers can change their emails directly."
_MAX_PASSWORD = 255
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _strings(body: Mapping[str, Any], *names: str) -> list[str]:
    values = [body.get(n) for n in names]
    if not all(isinstance(v, str | None) for v in values):
        raise BadRequestError(_LOAD_FAILED)
    return [v or "" for v in values]


def _email_error(value: str) -> ErrorDetail | None:
    if not value:
        return _REQUIRED
    if len(value) > 255 or not _EMAIL.match(value):
        return _BAD_EMAIL
    return None


def _is_superusers(c: Collection) -> bool:
    return c.system and c.name == "_superusers"


class AuthMailFlows:
    def __init__(
        self, schema: Schema, storage: Storage, hasher: Hasher, clock: Clock, mail: MailService
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._hasher = hasher
        self._clock = clock
        self._mail = mail

    def _collection(self, name: str) -> Collection:
        c = self._schema.get(name)
        if c is None:
            raise NotFoundError("Missing or invalid collection context.")
        if not c.is_auth:
            raise NotFoundError("Missing or invalid auth collection context.")
        return c

    def _requested_email(self, body: Mapping[str, Any], name: str = "email") -> str:
        (email,) = _strings(body, name)
        err = _email_error(email)
        if err is not None:
            raise ValidationError(data={name: err})
        return email

    def _mail_later(self, c: Collection, email: str, kind: str, what: str) -> None:
        """Look up the account and mail it, after the answer has gone out."""

        async def job() -> None:
            record = await self._storage.find_by_field(c, "email", email)
            if record is None or (kind == VERIFICATION and record.get("verified")):
                return
            token = issue_action_token(c, kind, record)
            message = build_mail(what, c, record, self._mail.meta, email, {"{TOKEN}": token})
            await self._mail.send(message)

        self._mail.in_background(job, what)

    async def request_verification(self, name: str, body: Mapping[str, Any]) -> None:
        c = self._collection(name)
        if _is_superusers(c):
            raise BadRequestError(_SUPERUSERS_VERIFIED)
        email = self._requested_email(body)
        self._mail_later(c, email, VERIFICATION, "verification")

    async def request_password_reset(self, name: str, body: Mapping[str, Any]) -> None:
        c = self._collection(name)
        email = self._requested_email(body)
        self._mail_later(c, email, PASSWORD_RESET, "password-reset")

    async def request_email_change(
        self, ctx: RequestContext, name: str, body: Mapping[str, Any]
    ) -> None:
        c = self._schema.get(name)
        if c is None:
            raise NotFoundError("Missing or invalid collection context.")
        if ctx.auth is None:
            raise UnauthorizedError()
        if ctx.auth.collection_id != c.id:
            raise ForbiddenError(
                f"The request requires auth record from {ctx.auth.collection_name} collection."
            )
        if _is_superusers(c):
            raise BadRequestError(_SUPERUSERS_EMAIL)
        new_email = self._requested_email(body, "newEmail")
        record = dict(ctx.auth.record)
        if new_email == record.get("email"):
            raise ValidationError(
                data={"newEmail": ErrorDetail("validation_not_in_invalid", "Must not be in list.")}
            )
        token = issue_action_token(c, EMAIL_CHANGE, record, newEmail=new_email)

        async def job() -> None:
            extra = {"{TOKEN}": token}
            message = build_mail("email-change", c, record, self._mail.meta, new_email, extra)
            await self._mail.send(message)

        self._mail.in_background(job, "email-change")

    async def _claimed_record(
        self, tx: Transaction, c: Collection, token: str, kind: str
    ) -> tuple[dict[str, Any], Mapping[str, Any]]:
        """The record the token belongs to, read inside the write transaction, and the
        token's claims, if the token is still valid for that record as it is now."""
        claims = read_action_claims(token, kind)
        record = None
        if claims is not None and claims.get("collectionId") == c.id:
            record = await tx.get_record(c, str(claims.get("id", "")))
        if record is None:
            raise ValidationError(data={"token": _BAD_TOKEN})
        verified = verify_action_token(token, c, kind, record)
        if verified is None or verified.get("email") != record.get("email"):
            raise ValidationError(data={"token": _BAD_TOKEN})
        return record, verified

    async def _token_error(self, c: Collection, token: str, kind: str) -> ErrorDetail | None:
        """A first check of the token on a reader, before any slow work; the binding check
        is ``_claimed_record`` inside the write transaction."""
        if not token:
            return _REQUIRED
        claims = read_action_claims(token, kind)
        unverified = read_claims_unverified(token) or {}
        if kind == VERIFICATION and not unverified.get("email"):
            return _NO_EMAIL_CLAIM
        if kind == EMAIL_CHANGE and not unverified.get("newEmail"):
            return _NO_NEW_EMAIL_CLAIM
        if claims is None or claims.get("collectionId") != c.id:
            return _BAD_TOKEN
        found = await self._storage.get_records(c, [str(claims.get("id", ""))])
        if not found or verify_action_token(token, c, kind, found[0]) is None:
            return _BAD_TOKEN
        if claims.get("email") != found[0].get("email"):
            return _BAD_TOKEN
        if kind == EMAIL_CHANGE:
            new_email = str(claims.get("newEmail", ""))
            taken = await self._storage.find_by_field(c, "email", new_email)
            if _email_error(new_email) is not None or taken is not None:
                return _NEW_EMAIL_INVALID
        return None

    async def _save(
        self, tx: Transaction, c: Collection, old: Mapping[str, Any], new: dict[str, Any]
    ) -> None:
        fctx = FieldContext(is_new=False, is_superuser=True, now=self._clock.now(), old=old)
        for f in c.fields:
            if f.type == "autodate":
                new[f.name] = f.on_save(new.get(f.name), fctx)
        await tx.update_record(c, str(old["id"]), new)
        await end_stale_sign_ins(tx, self._schema, c, old, new)

    async def confirm_verification(self, name: str, body: Mapping[str, Any]) -> None:
        c = self._collection(name)
        (token,) = _strings(body, "token")
        if _is_superusers(c):
            raise BadRequestError(_SUPERUSERS_VERIFIED)
        token_error = await self._token_error(c, token, VERIFICATION)
        if token_error is not None:
            raise ValidationError(data={"token": token_error})
        async with self._storage.transaction() as tx:
            record, _ = await self._claimed_record(tx, c, token, VERIFICATION)
            if record.get("verified"):
                raise ValidationError(data={"token": _BAD_TOKEN})  # already spent
            await self._save(tx, c, record, {**record, "verified": True})

    async def confirm_password_reset(self, name: str, body: Mapping[str, Any]) -> None:
        c = self._collection(name)
        token, password, confirm = _strings(body, "token", "password", "passwordConfirm")
        errors: dict[str, ErrorDetail] = {}
        token_error = await self._token_error(c, token, PASSWORD_RESET)
        if token_error is not None:
            errors["token"] = token_error
        least = int(getattr(c.field("password"), "min", 0) or 1)
        if not password:
            errors["password"] = _REQUIRED
        elif not least <= len(password) <= _MAX_PASSWORD:
            errors["password"] = ErrorDetail(
                "validation_length_out_of_range",
                f"The length must be between {least} and {_MAX_PASSWORD}.",
                {"max": _MAX_PASSWORD, "min": least},
            )
        if not confirm:
            errors["passwordConfirm"] = _REQUIRED
        elif confirm != password:
            errors["passwordConfirm"] = _MISMATCH
        if errors:
            raise ValidationError(data=errors)
        hashed = await self._hasher.hash(password)  # slow: outside the writer's lock
        async with self._storage.transaction() as tx:
            record, _ = await self._claimed_record(tx, c, token, PASSWORD_RESET)
            # the mailbox owner proved they read it: the email is verified too
            new = {**record, "password": hashed, "tokenKey": new_token_key(), "verified": True}
            await self._save(tx, c, record, new)
            await forget_origins(tx, self._schema, c, str(record["id"]))

    async def confirm_email_change(self, name: str, body: Mapping[str, Any]) -> None:
        c = self._collection(name)
        if _is_superusers(c):
            raise BadRequestError(_SUPERUSERS_EMAIL)
        token, password = _strings(body, "token", "password")
        errors: dict[str, ErrorDetail] = {}
        token_error = await self._token_error(c, token, EMAIL_CHANGE)
        if token_error is not None:
            errors["token"] = token_error
        if not password:
            errors["password"] = _REQUIRED
        elif token_error is not None:
            errors["password"] = _BAD_PASSWORD  # no account to check it against
        else:
            claims = read_action_claims(token, EMAIL_CHANGE) or {}
            found = await self._storage.get_records(c, [str(claims.get("id", ""))])
            hashed = str(found[0].get("password", "")) if found else ""
            if not await self._hasher.verify(password, hashed):
                errors["password"] = _BAD_PASSWORD
        if errors:
            raise ValidationError(data=errors)
        try:
            async with self._storage.transaction() as tx:
                record, claims = await self._claimed_record(tx, c, token, EMAIL_CHANGE)
                new_email = str(claims.get("newEmail", ""))
                if _email_error(new_email) is not None:
                    raise ValidationError(data={"token": _BAD_TOKEN})
                new = {
                    **record,
                    "email": new_email,
                    "verified": True,
                    "tokenKey": new_token_key(),
                }
                await self._save(tx, c, record, new)
        except UniqueViolation:
            raise ValidationError(data={"token": _NEW_EMAIL_INVALID}) from None
